/** One piece of PII found in a text. Offsets are JS string indices (UTF-16 code units), end exclusive. */
export interface Finding {
  type: string
  start: number
  end: number
  /** 0..1; findings under MIN_SCORE are never reported. Context words raise it, checksums gate it. */
  score: number
}

/** A possible finding before overlap resolution; `priority` says how specific its recognizer is. */
export interface Candidate extends Finding {
  priority: number
}

/**
 * A compiled recognizer. Every match it can report is a local function of the text: whether a match
 * starts at index q depends only on text[q - CONTEXT_CHARS, q + maxLength], never on earlier matches.
 * That locality is what lets the stream masker give the same output as the whole-text masker.
 */
export interface Recognizer {
  readonly entity: string
  /** Higher wins when candidates overlap. */
  readonly priority: number
  /** Longest text one match can cover (prefix included), in UTF-16 units. */
  readonly maxLength: number
  /** Largest distance from a match's start to its span's start (a key or URL prefix); 0 when absent. */
  readonly lookback?: number
  /**
   * Calls `emit` for each candidate whose span starts at an index >= from (its match may start up
   * to CONTEXT_CHARS earlier, for a key or URL prefix). `text` may be a window of a longer stream:
   * it must hold CONTEXT_CHARS of text before `from` when there is any.
   */
  scan (text: string, from: number, emit: (c: Candidate) => void): void
  /**
   * The lowest index >= floor at which a match could begin that more text appended to `text` could
   * still change (a match in progress at the end). text.length when none can.
   */
  pendingFrom (text: string, floor: number): number
  /**
   * Lets a stream release text without scanning it (docs/pii.md "Streaming"). Every candidate span
   * [s, e) has one of `chars` (ASCII) at an index in [s - trail, s + lead]. Absent (custom patterns):
   * every push runs a full detection step.
   */
  readonly trigger?: Trigger
}

export interface Trigger { chars: string; lead: number; trail: number }

/** Text a recognizer may look at before a match start: context words, lookbehinds, key prefixes. */
export const CONTEXT_CHARS = 128

/** Findings scoring below this are dropped. */
export const MIN_SCORE = 0.5

/** The types the built-in recognizers report. */
export const BUILTIN_ENTITIES = ['EMAIL', 'PHONE', 'CREDIT_CARD', 'US_SSN', 'IBAN', 'IP_ADDRESS', 'SECRET'] as const
