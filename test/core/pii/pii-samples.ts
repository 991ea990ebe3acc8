/** Valid PII values of every built-in type, shared by the tests (all fake; checksums hold). */
export const SAMPLES = {
  EMAIL: ['john.smith@example.com', 'a.b+tag@mail.example.co.uk', 'X_Y@sub.domain.org'],
  PHONE: ['(415) 555-2671', '+44 20 7946 0958', '415-555-2671', '+1 415 555 2671', '+49 30 901820', '+44 (0)20 7946 0958', '+1 (415) 555-2671', '+33 1 42 68 53 00'],
  CREDIT_CARD: ['4111 1111 1111 1111', '5555-5555-5555-4444', '378282246310005', '3782 822463 10005', '6011111111111117'],
  US_SSN: ['123-45-6789', '536-22-1234'],
  IBAN: ['DE89 3704 0044 0532 0130 00', 'GB82WEST12345698765432', 'FR1420041010050500013M02606'],
  IP_ADDRESS: ['192.168.1.10', '10.0.0.1', '2001:db8::8a2e:370:7334', '::1', 'fe80::1ff:fe23:4567:890a', '::ffff:192.168.1.1'],
  SECRET: [
    'sk-proj-Ab3dEf9hIjK1mNoPqRsTuVwXyZ0123456789abcdEFGH',
    'sk-ant-api03-Zx8yW7vU6tS5rQ4pO3nM2lK1jI0hG9fE8dC7bA6zY5xW4vU3tS2rQ1pO0nM9lK8jI7hG6fE5dC4bA3zY2xW1vU0tS9rQ8p-AA',
    'AKIAIOSFODNN7EXAMPLE',
    'ghp_1234567890abcdefghijklmnopqrstuvwxyzAB',
    'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
    'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----'
  ]
} as const
