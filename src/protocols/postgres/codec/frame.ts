/**
 * One protocol message as it crossed the wire. `raw` is the whole message (header included) and is what
 * gets relayed when nobody changes it; `body` is the part after the header. `code` is the type byte, or
 * STARTUP_FRAME for the untyped startup-family packets. The direction decides what a shared letter means.
 */
export interface Frame {
  readonly code: number
  readonly raw: Buffer
  readonly body: Buffer
  readonly from: 'client' | 'server'
}

/** The code given to startup-family packets, which have no type byte. */
export const STARTUP_FRAME = -1
