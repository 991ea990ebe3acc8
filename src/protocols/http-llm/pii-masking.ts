import type { GatewayServices } from '../../core/plugin/index.js'
import { UnmaskableResponseError } from '../../core/errors.js'
import type { MaskingFactory } from './request-handler.js'

/**
 * Mask specs -> maskers from the PII engine (src/core/pii). Until that room exports its maskers, a
 * request a mask applies to is refused rather than sent or answered unmasked.
 */
export function piiMasking (_services: GatewayServices): MaskingFactory {
  return (specs, direction) => {
    if (!specs.some(s => s.applyTo.includes(direction))) return undefined
    throw new UnmaskableResponseError(`mask rule ${specs[0].rule} applies but this build has no PII masking engine`)
  }
}
