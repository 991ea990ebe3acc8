import { createHash } from 'node:crypto'

const md5hex = (data: Buffer | string): string => createHash('md5').update(data).digest('hex')

/**
 * The md5 password response: 'md5' + md5(md5(password + user) + salt).
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
export function md5PasswordResponse (user: string, password: string, salt: Buffer): string {
  return `md5${md5hex(Buffer.concat([Buffer.from(md5hex(password + user)), salt]))}`
}
