import type { PluginFactory } from '../../core/plugin/index.js'
import { createHttpLlmPluginWith } from './plugin.js'

export { createHttpLlmPluginWith, type HttpLlmPluginOptions } from './plugin.js'
export { DEMO_MODEL_HEADER } from './demo-model.js'
export type { MaskingFactory } from './request-handler.js'
export type { TextMasking, StreamTextMasker } from './masking.js'

/** The http-llm protocol plugin (OpenAI and Anthropic APIs). See docs/http-lifecycle.md. */
export const createHttpLlmPlugin: PluginFactory = services => createHttpLlmPluginWith(services)
