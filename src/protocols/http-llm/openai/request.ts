import { isRecord, numberOr, visitField, visitStrings, type RouteKind, type TextVisitor, type Usage } from '../provider.js'

/**
 * OpenAI request bodies: where the prompt text lives per route.
 * @see https://platform.openai.com/docs/api-reference/chat/create
 * @see https://platform.openai.com/docs/api-reference/responses/create
 */

const ROUTES: Record<string, RouteKind> = {
  'POST /chat/completions': 'chat',
  'POST /completions': 'completions',
  'POST /embeddings': 'embeddings',
  'POST /responses': 'responses',
  'GET /models': 'models'
}

/** Clients point at `.../v1` or at the bare target; both reach the same API path. */
export function openaiRouteKind (method: string, apiPath: string): RouteKind {
  const path = apiPath.replace(/^\/v1(?=\/)/, '')
  if (method === 'GET' && path.startsWith('/models/') && path.indexOf('/', 8) === -1) return 'models'
  return ROUTES[`${method} ${path}`] ?? 'other'
}

/** Message content: a string, or parts of which the text ones (`text`, `input_text`, `output_text`) carry text. */
function visitContent (holder: unknown, key: string, visit: TextVisitor): void {
  if (!isRecord(holder)) return
  const content = holder[key]
  if (typeof content === 'string') return visitField(holder, key, visit)
  if (!Array.isArray(content)) return
  for (const part of content) {
    if (isRecord(part) && typeof part.text === 'string') visitField(part, 'text', visit)
    else if (isRecord(part) && typeof part.refusal === 'string') visitField(part, 'refusal', visit)
  }
}

/** A string, or an array of strings (token arrays carry no text we can read). */
function visitStringOrList (holder: Record<string, unknown>, key: string, visit: TextVisitor): void {
  const v = holder[key]
  if (typeof v === 'string') visitField(holder, key, visit)
  else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) visitField(v, i, visit)
}

function visitChatMessage (m: unknown, visit: TextVisitor): void {
  if (!isRecord(m)) return
  visitContent(m, 'content', visit)
  if (Array.isArray(m.tool_calls)) for (const c of m.tool_calls) if (isRecord(c)) visitField(c.function, 'arguments', visit)
  if (isRecord(m.function_call)) visitField(m.function_call, 'arguments', visit)
}

function visitResponsesItem (item: unknown, visit: TextVisitor): void {
  if (!isRecord(item)) return
  if (item.type === 'function_call' || item.type === 'custom_tool_call') {
    visitField(item, 'arguments', visit)
    visitField(item, 'input', visit)
  } else if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') {
    visitContent(item, 'output', visit)
  } else {
    visitContent(item, 'content', visit)
  }
}

export function visitOpenaiPrompt (kind: RouteKind, body: Record<string, unknown>, visit: TextVisitor): void {
  switch (kind) {
    case 'chat':
      if (Array.isArray(body.messages)) for (const m of body.messages) visitChatMessage(m, visit)
      return
    case 'completions':
      visitStringOrList(body, 'prompt', visit)
      visitField(body, 'suffix', visit)
      return
    case 'embeddings':
      visitStringOrList(body, 'input', visit)
      return
    case 'responses':
      visitField(body, 'instructions', visit)
      if (typeof body.input === 'string') visitField(body, 'input', visit)
      else if (Array.isArray(body.input)) for (const item of body.input) visitResponsesItem(item, visit)
      return
    case 'other':
      // An unknown API: its shape is unknown, so every string counts as prompt text.
      visitStrings(body, visit)
  }
}

export function openaiMaxTokens (body: Record<string, unknown>): number | undefined {
  return numberOr(body.max_completion_tokens) ?? numberOr(body.max_tokens) ?? numberOr(body.max_output_tokens)
}

/** Chat and legacy completions report usage in a stream only when asked with stream_options.include_usage. */
export function requestOpenaiStreamUsage (kind: RouteKind, body: Record<string, unknown>): boolean {
  if (kind !== 'chat' && kind !== 'completions') return false
  const opts = body.stream_options
  if (isRecord(opts) && opts.include_usage === true) return false
  body.stream_options = { ...(isRecord(opts) ? opts : {}), include_usage: true }
  return true
}

/** chat/completions/embeddings say prompt/completion tokens; the Responses API says input/output. */
export function openaiUsage (usage: unknown): Usage | undefined {
  if (!isRecord(usage)) return undefined
  return {
    inputTokens: numberOr(usage.prompt_tokens) ?? numberOr(usage.input_tokens),
    outputTokens: numberOr(usage.completion_tokens) ?? numberOr(usage.output_tokens)
  }
}
