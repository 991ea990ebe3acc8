import { createServer, connect, type Server, type Socket } from 'node:net'
import { BACKEND, FRONTEND, FrameReader, type Frame } from '../../../../src/protocols/postgres/codec/index.js'
import {
  ColumnResolver, CopyOutMasker, copyOutStatements, MaskCounts, maskNoticeFrame, RowMasker, type CopyOutStatement, type ResponseMasking
} from '../../../../src/protocols/postgres/masking/index.js'
import { decodeCopyOutResponse } from '../../../../src/protocols/postgres/messages/copy-out-response.js'
import { encodeCopyData } from '../../../../src/protocols/postgres/messages/copy-data.js'
import { decodeQuery } from '../../../../src/protocols/postgres/messages/query.js'
import { decodeRowDescription } from '../../../../src/protocols/postgres/messages/row-description.js'

/**
 * A bare relay for tests: client bytes go to the server untouched; server frames go through the masking
 * room the way the gatehouse relay is meant to call it. It records every byte it sends to the client so a
 * test can check that no raw value ever reached it.
 */
export interface MaskingRelay {
  port: number
  /** Everything sent to clients so far. */
  sent (): Buffer
  counts: MaskCounts
  close (): Promise<void>
}

const DDL_TAGS = /^(CREATE|ALTER|DROP|COMMENT|GRANT|REVOKE) /

/** `masking` undefined relays every frame as it came (the unmasked baseline); `record: false` keeps no copy. */
export async function startMaskingRelay (upstream: { host: string; port: number }, masking: ResponseMasking | undefined, resolver: ColumnResolver, opts: { record?: boolean } = {}): Promise<MaskingRelay> {
  const isRecording = opts.record ?? true
  const chunks: Buffer[] = []
  const counts = new MaskCounts()
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const up = connect(upstream)
    sockets.add(client).add(up)
    const clientFrames = new FrameReader('client')
    let isStartup = true
    const copies: CopyOutStatement[] = []
    client.on('data', (c: Buffer) => {
      up.write(c)
      clientFrames.push(c)
      for (let f = clientFrames.next(isStartup); f !== undefined; f = clientFrames.next(isStartup)) {
        isStartup = false
        if (f.code === FRONTEND.QUERY) copies.push(...copyOutStatements(decodeQuery(f.body).sql))
      }
    })
    const serverFrames = new FrameReader('server')
    let rows: RowMasker | undefined
    let copy: CopyOutMasker | undefined
    let chain = Promise.resolve()
    const send = (b: Buffer): void => {
      if (isRecording) chunks.push(b)
      client.write(b)
    }
    const onFrame = async (f: Frame): Promise<void> => {
      if (masking === undefined) {
        send(f.raw)
        return
      }
      switch (f.code) {
        case BACKEND.ROW_DESCRIPTION: {
          const { fields } = decodeRowDescription(f.body)
          const columns = masking.hasColumnRules ? resolver.cached(fields) ?? await resolver.resolve(fields) : undefined
          rows = new RowMasker({ fields, ...(columns !== undefined ? { columns } : {}), masking })
          send(f.raw)
          return
        }
        case BACKEND.DATA_ROW:
          send(rows?.maskDataRow(f.body) ?? f.raw)
          return
        case BACKEND.COPY_OUT_RESPONSE: {
          const statement = copies.shift()
          const rel = statement?.relation
          const columns = rel !== undefined && masking.hasColumnRules ? await resolver.resolveTable(rel.schema, rel.name, statement?.columns) : undefined
          copy = new CopyOutMasker({ response: decodeCopyOutResponse(f.body), ...(statement !== undefined ? { statement } : {}), ...(columns !== undefined ? { columns } : {}), masking })
          send(f.raw)
          return
        }
        case BACKEND.COPY_DATA: {
          const out = copy?.push(f.body) ?? f.body
          if (out === f.body) send(f.raw)
          else if (out.length > 0) send(encodeCopyData(out))
          return
        }
        case BACKEND.COPY_DONE: {
          const tail = copy?.end()
          if (tail !== undefined && tail.length > 0) send(encodeCopyData(tail))
          for (const [k, v] of Object.entries(copy?.counts.toRecord() ?? {})) counts.add(k, v)
          copy = undefined
          send(f.raw)
          return
        }
        case BACKEND.ERROR_RESPONSE:
        case BACKEND.NOTICE_RESPONSE:
          send(maskNoticeFrame(f.code, f.body, masking, counts) ?? f.raw)
          return
        case BACKEND.COMMAND_COMPLETE:
          for (const [k, v] of Object.entries(rows?.counts.toRecord() ?? {})) counts.add(k, v)
          rows = undefined
          if (DDL_TAGS.test(f.body.toString('utf8'))) resolver.invalidate()
          send(f.raw)
          return
        default:
          send(f.raw)
      }
    }
    up.on('data', (c: Buffer) => {
      serverFrames.push(c)
      const frames: Frame[] = []
      for (let f = serverFrames.next(); f !== undefined; f = serverFrames.next()) frames.push(f)
      // Catalog lookups are asynchronous: frames are handled strictly in order behind them.
      chain = chain.then(async () => { for (const f of frames) await onFrame(f) })
    })
    const end = (): void => { client.destroy(); up.destroy() }
    client.on('close', end).on('error', end)
    up.on('close', end).on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    sent: () => Buffer.concat(chunks),
    counts,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
