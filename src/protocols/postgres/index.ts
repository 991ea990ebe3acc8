/**
 * The PostgreSQL protocol plugin: a v3 wire relay with identity, TLS, cancel, the extended protocol
 * and per-statement policy. Lifecycle and errors: docs/postgres-lifecycle.md.
 */
import type { PluginFactory } from '../../core/plugin/index.js'
import { PostgresPlugin } from './plugin.js'
import { createSqlAnalyzer } from './sql/index.js'

export const createPostgresPlugin: PluginFactory = async (services) => new PostgresPlugin(services, await createSqlAnalyzer())

export { PostgresPlugin, sniffPostgres } from './plugin.js'
export { pgError, SQLSTATE } from './errors.js'
