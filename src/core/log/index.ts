import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino'

export type { Logger }

/** Keys whose values never reach a log line, wherever they appear. */
export const REDACTED_PATHS = [
  'password', '*.password', 'token', '*.token', 'authorization', '*.authorization',
  'headers.authorization', 'headers["x-api-key"]', '*.headers.authorization', '*.headers["x-api-key"]',
  'apiKey', '*.apiKey', 'secret', '*.secret'
]

export interface LogOptions {
  level?: string
  /** Pretty output for humans; defaults to whether stderr is a TTY. */
  pretty?: boolean
  destination?: DestinationStream
}

/** The one root logger: JSON on stderr (pretty in a TTY); children bind session context. */
export function createLogger (opts: LogOptions = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? process.env.GATEHOUSE_LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { pid: process.pid }
  }
  if (opts.destination) return pino(options, opts.destination)
  const pretty = opts.pretty ?? process.stderr.isTTY
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { destination: 2, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' } } })
  }
  return pino(options, pino.destination({ fd: 2, sync: false }))
}
