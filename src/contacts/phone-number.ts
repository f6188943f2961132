// Phone numbers as libphonenumber-js reads them, for every place that needs a number's
// E.164 form: the adapters (what a contact's number is) and the address book's search
// (what a searched number is). One rule for both, so a number found at import is the
// number a search for it looks for.
import {
  type CountryCode,
  type PhoneNumber,
  parsePhoneNumberFromString,
} from 'libphonenumber-js/max'

/** The number, when it is a valid one; `defaultRegion` reads one without a country code. */
export function validPhoneNumber(
  value: string,
  defaultRegion: CountryCode | undefined,
): PhoneNumber | undefined {
  try {
    const parsed = parsePhoneNumberFromString(value, defaultRegion)
    return parsed?.isValid() ? parsed : undefined
  } catch {
    return undefined // the library throws on some inputs instead of returning undefined
  }
}

/** E.164 for what the person typed, when it is a valid number; otherwise none. */
export const toE164 = (value: string, defaultRegion: CountryCode | undefined) =>
  validPhoneNumber(value, defaultRegion)?.number
