/**
 * Message type bytes of protocol 3.0, named. A letter means different things by direction ('D' is
 * Describe from a client and DataRow from a server), so the two directions are separate lists.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

/** Sent by clients. */
export const FRONTEND = {
  BIND: 0x42, // 'B'
  CLOSE: 0x43, // 'C'
  COPY_DATA: 0x64, // 'd'
  COPY_DONE: 0x63, // 'c'
  COPY_FAIL: 0x66, // 'f'
  DESCRIBE: 0x44, // 'D'
  EXECUTE: 0x45, // 'E'
  FLUSH: 0x48, // 'H'
  FUNCTION_CALL: 0x46, // 'F'
  PARSE: 0x50, // 'P'
  /** PasswordMessage, SASLInitialResponse and SASLResponse share 'p'. */
  PASSWORD: 0x70, // 'p'
  QUERY: 0x51, // 'Q'
  SYNC: 0x53, // 'S'
  TERMINATE: 0x58 // 'X'
} as const

/** Sent by servers. */
export const BACKEND = {
  AUTHENTICATION: 0x52, // 'R'
  BACKEND_KEY_DATA: 0x4b, // 'K'
  BIND_COMPLETE: 0x32, // '2'
  CLOSE_COMPLETE: 0x33, // '3'
  COMMAND_COMPLETE: 0x43, // 'C'
  COPY_BOTH_RESPONSE: 0x57, // 'W'
  COPY_DATA: 0x64, // 'd'
  COPY_DONE: 0x63, // 'c'
  COPY_IN_RESPONSE: 0x47, // 'G'
  COPY_OUT_RESPONSE: 0x48, // 'H'
  DATA_ROW: 0x44, // 'D'
  EMPTY_QUERY_RESPONSE: 0x49, // 'I'
  ERROR_RESPONSE: 0x45, // 'E'
  FUNCTION_CALL_RESPONSE: 0x56, // 'V'
  NEGOTIATE_PROTOCOL_VERSION: 0x76, // 'v'
  NO_DATA: 0x6e, // 'n'
  NOTICE_RESPONSE: 0x4e, // 'N'
  NOTIFICATION_RESPONSE: 0x41, // 'A'
  PARAMETER_DESCRIPTION: 0x74, // 't'
  PARAMETER_STATUS: 0x53, // 'S'
  PARSE_COMPLETE: 0x31, // '1'
  PORTAL_SUSPENDED: 0x73, // 's'
  READY_FOR_QUERY: 0x5a, // 'Z'
  ROW_DESCRIPTION: 0x54 // 'T'
} as const

/** Startup-family packets carry no type byte; their first int32 after the length says what they are. */
export const STARTUP_CODE = {
  /** Protocol 3.0. */
  PROTOCOL_3_0: 196608,
  /** Protocol 3.2 (PostgreSQL 18): longer cancel keys. */
  PROTOCOL_3_2: 196610,
  SSL_REQUEST: 80877103,
  GSSENC_REQUEST: 80877104,
  CANCEL_REQUEST: 80877102
} as const

/** The one-byte answers to SSLRequest and GSSENCRequest. */
export const SSL_ACCEPTED = 0x53 // 'S'
export const SSL_REFUSED = 0x4e // 'N'
