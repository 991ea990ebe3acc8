import { creditCardRecognizer } from './recognizers/credit-card.js'
import { emailRecognizer } from './recognizers/email.js'
import { ibanRecognizer } from './recognizers/iban.js'
import { ipv4Recognizer, ipv6Recognizer } from './recognizers/ip-address.js'
import { phoneRecognizer } from './recognizers/phone.js'
import { secretRecognizers } from './recognizers/secret.js'
import { usSsnRecognizer } from './recognizers/us-ssn.js'
import type { Recognizer } from './types.js'

/** Every built-in recognizer; `maxMatchChars` bounds the ones without a natural length (JWT, PEM). */
export function builtinRecognizers (maxMatchChars: number): Recognizer[] {
  return [
    ...secretRecognizers(maxMatchChars),
    creditCardRecognizer,
    ibanRecognizer,
    usSsnRecognizer,
    emailRecognizer,
    ipv4Recognizer,
    ipv6Recognizer,
    phoneRecognizer
  ]
}
