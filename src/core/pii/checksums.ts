/** Luhn (mod 10) over a string of ASCII digits. @see https://en.wikipedia.org/wiki/Luhn_algorithm */
export function isLuhnValid (digits: string): boolean {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (d < 0 || d > 9) return false
    if (double) { d *= 2; if (d > 9) d -= 9 }
    sum += d
    double = !double
  }
  return digits.length > 0 && sum % 10 === 0
}

/**
 * ISO 13616 / ISO 7064 mod 97-10 over an IBAN without separators: move the first four characters
 * to the end, letters become 10..35, the number mod 97 must be 1.
 * @see https://en.wikipedia.org/wiki/International_Bank_Account_Number#Validating_the_IBAN
 */
export function isMod97Valid (iban: string): boolean {
  const s = iban.slice(4) + iban.slice(0, 4)
  let rest = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) rest = (rest * 10 + (c - 48)) % 97
    else if (c >= 65 && c <= 90) rest = (rest * 100 + (c - 55)) % 97
    else return false
  }
  return s.length > 4 && rest === 1
}
