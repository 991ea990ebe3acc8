import { BACKEND, Reader, Writer } from '../codec/index.js'

/** ParameterStatus (B): a run-time parameter's current value. @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-PARAMETERSTATUS */
export const PARAMETER_STATUS = BACKEND.PARAMETER_STATUS
export interface ParameterStatus { name: string; value: string }

export function decodeParameterStatus (body: Buffer): ParameterStatus {
  const r = new Reader(body)
  const m = { name: r.cstring(), value: r.cstring() }
  r.end('ParameterStatus')
  return m
}

export const encodeParameterStatus = (m: ParameterStatus): Buffer => new Writer().cstring(m.name).cstring(m.value).frame(PARAMETER_STATUS)
