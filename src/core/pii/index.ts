/**
 * PII detection and masking, for whole texts and streams. See docs/pii.md.
 */
import type { CustomRecognizerSpec } from '../events/index.js'
import { PiiDetector } from './detector.js'

export { BUILTIN_ENTITIES, MIN_SCORE, type Finding, type Recognizer } from './types.js'
export { createDetector, DEFAULT_MAX_MATCH_CHARS, type Detector, type DetectorOptions } from './detector.js'
export { createMasker, type Masker, type MaskerOptions, type MaskResult } from './masker.js'
export { createStreamMasker, type StreamMasker } from './stream-masker.js'
export { compileRecognizer, MAX_CUSTOM_MATCH_CHARS } from './custom-recognizer.js'
export { HASH_HEX_CHARS, MASK_STYLES, REDACTED } from './mask-style.js'

const defaultDetector = new PiiDetector()
const withCustom = new WeakMap<readonly CustomRecognizerSpec[], PiiDetector>()

/**
 * The PII types present in any of `texts` (for policy `prompt.entities`). Detectors for a given
 * recognizers array are built once and reused; pass the same array each time.
 */
export function detectEntities (texts: readonly string[], recognizers: readonly CustomRecognizerSpec[] = []): Set<string> {
  let detector = defaultDetector
  if (recognizers.length > 0) {
    detector = withCustom.get(recognizers) ?? new PiiDetector({ custom: recognizers })
    withCustom.set(recognizers, detector)
  }
  const found = new Set<string>()
  for (const t of texts) for (const f of detector.detect(t)) found.add(f.type)
  return found
}
export { loadMaskHashKey } from './mask-key.js'
export { contentMaskers, perSpecList } from './spec-maskers.js'
