import { FRONTEND, Reader, Writer } from '../codec/index.js'

/** PasswordMessage (F): the cleartext password we asked for (the client's token). @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-PASSWORDMESSAGE */
export const PASSWORD_MESSAGE = FRONTEND.PASSWORD

export function decodePasswordMessage (body: Buffer): string {
  const r = new Reader(body)
  const password = r.cstring()
  r.end('PasswordMessage')
  return password
}

export const encodePasswordMessage = (password: string): Buffer => new Writer().cstring(password).frame(PASSWORD_MESSAGE)
