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
   * Lets a stream release text without scanning it (docs/pii.md "Streaming"). Absent (custom patterns
   * without known first characters): every push runs a full detection step.
   */
  readonly trigger?: Trigger
}

/**
 * Every candidate span [s, e) has a trigger at an index t in [s - trail, s + lead]: a character of
 * `chars` (ASCII) for which `confirm` (when present) is true. When t > s, text[t] is part of the
 * match, so a match whose trigger has not arrived yet is still in progress at the end of the text.
 */
export interface Trigger {
  chars: string
  lead: number
  trail: number
  /**
   * A stronger necessary condition at a trigger character text[i] (a run of digits long enough, a
   * key prefix before it): false only when no span can have its trigger there. Reads at most
   * TRIGGER_LOOKBACK_CHARS before i, and answers true when it would need more, whether or not `text`
   * has more: `text` holds them, or begins where the stream does (nothing before index 0).
   */
  confirm?: (text: string, i: number) => boolean
  /**
   * A digit among `chars` must end a run of at least `min` digits in which consecutive digits are at
   * most one of `joiners` apart (the stream counts runs as characters arrive). Other characters of
   * `chars` need `confirm` alone.
   */
  digitRun?: { min: number; joiners: string }
  /**
   * When lead > 0: the characters a match can have before its trigger, and the ones it can begin
   * with (default: the same); a match whose trigger has not arrived is a suffix of the trailing run
   * of them, at most `lead` long.
   */
  before?: { chars: RegExp; first?: RegExp }
}

/** How far back Trigger.confirm may read. */
export const TRIGGER_LOOKBACK_CHARS = 32

/** Text a recognizer may look at before a match start: context words, lookbehinds, key prefixes. */
export const CONTEXT_CHARS = 128

/** Findings scoring below this are dropped. */
export const MIN_SCORE = 0.5

/** The types the built-in recognizers report. */
export const BUILTIN_ENTITIES = ['EMAIL', 'PHONE', 'CREDIT_CARD', 'US_SSN', 'IBAN', 'IP_ADDRESS', 'SECRET'] as const
