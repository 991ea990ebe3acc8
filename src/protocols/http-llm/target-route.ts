import type { HttpLlmTargetConfig } from '../../core/config/index.js'

/** Where a request goes: the target named by the first path segment and the provider path after it. */
export interface TargetRoute {
  target: HttpLlmTargetConfig
  /** The path after the target segment, as the client sent it (`/v1/chat/completions`): the policy route. */
  apiPath: string
  /** The query string including its `?`, or ''. */
  query: string
}

/** Splits `/openai/v1/chat/completions?x=1` into the target segment, the provider path and the query. */
export function splitTargetPath (url: string): { name: string; apiPath: string; query: string } {
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  const query = q === -1 ? '' : url.slice(q)
  const slash = path.indexOf('/', 1)
  const name = slash === -1 ? path.slice(1) : path.slice(1, slash)
  return { name, apiPath: slash === -1 ? '/' : path.slice(slash), query }
}

const VERSION_SEGMENT = /^v\d+[a-z0-9]*$/

/**
 * Joins the provider path onto the upstream URL's path. SDKs are pointed at `http://gw/openai/v1` (OpenAI's
 * base URL carries `/v1`) or `http://gw/anthropic` (Anthropic's does not), so both send `/v1/...` after the
 * target name; an upstream written the conventional way (`https://api.openai.com/v1`) already ends with
 * that version segment, and it is joined once rather than repeated.
 */
export function upstreamPath (upstreamBasePath: string, apiPath: string): string {
  const base = upstreamBasePath.replace(/\/+$/, '')
  const lastSegment = base.slice(base.lastIndexOf('/') + 1)
  if (lastSegment !== '' && VERSION_SEGMENT.test(lastSegment) && (apiPath === `/${lastSegment}` || apiPath.startsWith(`/${lastSegment}/`))) {
    return base + apiPath.slice(lastSegment.length + 1)
  }
  return base + apiPath
}
