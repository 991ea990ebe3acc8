import { ProtocolError } from '../../../core/errors.js'
import { MAX_JSON_DEPTH, isRecord, numberOr, visitField, visitStrings, type RouteKind, type TextVisitor, type Usage } from '../provider.js'

/**
 * Anthropic request bodies: where the prompt text lives.
 * @see https://docs.anthropic.com/en/api/messages
 */

export function anthropicRouteKind (method: string, apiPath: string): RouteKind {
  const path = apiPath.replace(/^\/v1(?=\/)/, '')
  if (method === 'POST' && path === '/messages') return 'messages'
  if (method === 'POST' && path === '/messages/count_tokens') return 'count_tokens'
  if (method === 'GET' && (path === '/models' || (path.startsWith('/models/') && path.indexOf('/', 8) === -1))) return 'models'
  return 'other'
}

/** A string, or content blocks: text, tool_result (itself a string or blocks), tool_use input, text documents. */
function visitBlocks (holder: Record<string, unknown>, key: string, visit: TextVisitor, depth = 0): void {
  if (depth > MAX_JSON_DEPTH) throw new ProtocolError(`request JSON nested deeper than ${MAX_JSON_DEPTH} levels`)
  const content = holder[key]
  if (typeof content === 'string') return visitField(holder, key, visit)
  if (!Array.isArray(content)) return
  for (const block of content) {
    if (!isRecord(block)) continue
    if (block.type === 'text') visitField(block, 'text', visit)
    else if (block.type === 'tool_result') visitBlocks(block, 'content', visit, depth + 1)
    else if (block.type === 'tool_use' || block.type === 'server_tool_use') visitStrings(block.input, visit)
    else if (block.type === 'document' && isRecord(block.source) && block.source.type === 'text') visitField(block.source, 'data', visit)
    else if (block.type === 'document' && isRecord(block.source) && block.source.type === 'content') visitBlocks(block.source, 'content', visit, depth + 1)
  }
}

export function visitAnthropicPrompt (kind: RouteKind, body: Record<string, unknown>, visit: TextVisitor): void {
  if (kind === 'messages' || kind === 'count_tokens') {
    visitBlocks(body, 'system', visit)
    if (Array.isArray(body.messages)) for (const m of body.messages) if (isRecord(m)) visitBlocks(m, 'content', visit)
  } else if (kind === 'other') {
    visitStrings(body, visit)
  }
}

export const anthropicMaxTokens = (body: Record<string, unknown>): number | undefined => numberOr(body.max_tokens)

/** Input counts cache writes and reads too: they are tokens the caller's prompt used. */
export function anthropicUsage (usage: unknown): Usage | undefined {
  if (!isRecord(usage)) return undefined
  const input = numberOr(usage.input_tokens)
  const cached = (numberOr(usage.cache_creation_input_tokens) ?? 0) + (numberOr(usage.cache_read_input_tokens) ?? 0)
  return { inputTokens: input === undefined ? undefined : input + cached, outputTokens: numberOr(usage.output_tokens) }
}
