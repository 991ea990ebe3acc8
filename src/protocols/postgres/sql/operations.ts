/**
 * The closed list of operation names a statement can be classified as, and the classifier.
 * Policy files name these in `match.sql.operations`; the policy validator rejects any other name.
 * Anything the classifier does not recognise is `unknown`, so a new grammar construct is never
 * mistaken for a harmless one.
 */
import type { AstObject } from './ast.js'
import { isAstObject } from './ast.js'

export const SQL_OPERATIONS = [
  // data
  'select', // SELECT, VALUES, TABLE t; also DECLARE CURSOR (reports its query)
  'insert', 'update', 'delete', 'merge',
  'copy', // COPY t FROM (t written) / COPY t TO, COPY (query) TO (read)
  'truncate',
  // schema (SELECT INTO and CREATE TABLE AS are ddl:create: they create a table)
  'ddl:create', 'ddl:alter', 'ddl:drop', 'ddl:comment',
  // privileges (GRANT/REVOKE on objects and roles, ALTER DEFAULT PRIVILEGES)
  'grant', 'revoke',
  // session
  'set', // SET, RESET, SET LOCAL, SET TRANSACTION, SET CONSTRAINTS
  'set_role', // SET [LOCAL] ROLE, RESET ROLE, SET SESSION AUTHORIZATION: changes whose privileges apply
  'show', 'discard', 'listen', 'unlisten', 'notify', 'load',
  // transactions
  'begin', 'commit', 'rollback', 'savepoint', 'release',
  'prepare_transaction', 'commit_prepared', 'rollback_prepared',
  // prepared statements and cursors (PREPARE reports the statement it prepares)
  'execute', 'deallocate', 'fetch', 'move', 'close',
  // plans (EXPLAIN ANALYZE reports the statement it runs; plain EXPLAIN runs nothing)
  'explain',
  // code
  'call', 'do',
  // maintenance and locks
  'lock', 'vacuum', 'analyze', 'cluster', 'reindex', 'refresh', 'checkpoint',
  // did not parse, or a statement kind this list does not classify
  'unknown'
] as const

export type SqlOperation = typeof SQL_OPERATIONS[number]

const DDL_BY_NODE: Readonly<Record<string, SqlOperation>> = {
  CreateTableAsStmt: 'ddl:create', // CREATE TABLE AS, CREATE MATERIALIZED VIEW
  ViewStmt: 'ddl:create',
  IndexStmt: 'ddl:create',
  DefineStmt: 'ddl:create', // CREATE AGGREGATE / OPERATOR / TYPE / COLLATION / TEXT SEARCH ...
  CompositeTypeStmt: 'ddl:create',
  RuleStmt: 'ddl:create',
  ImportForeignSchemaStmt: 'ddl:create',
  RenameStmt: 'ddl:alter',
  ReassignOwnedStmt: 'ddl:alter',
  SecLabelStmt: 'ddl:alter',
  CommentStmt: 'ddl:comment'
}

const SIMPLE_BY_NODE: Readonly<Record<string, SqlOperation>> = {
  SelectStmt: 'select',
  InsertStmt: 'insert',
  UpdateStmt: 'update',
  DeleteStmt: 'delete',
  MergeStmt: 'merge',
  CopyStmt: 'copy',
  TruncateStmt: 'truncate',
  VariableShowStmt: 'show',
  ConstraintsSetStmt: 'set',
  DiscardStmt: 'discard',
  ListenStmt: 'listen',
  UnlistenStmt: 'unlisten',
  NotifyStmt: 'notify',
  LoadStmt: 'load',
  ExecuteStmt: 'execute',
  DeallocateStmt: 'deallocate',
  ClosePortalStmt: 'close',
  ExplainStmt: 'explain',
  CallStmt: 'call',
  DoStmt: 'do',
  LockStmt: 'lock',
  ClusterStmt: 'cluster',
  ReindexStmt: 'reindex',
  RefreshMatViewStmt: 'refresh',
  CheckPointStmt: 'checkpoint'
}

const TRANSACTION_BY_KIND: Readonly<Record<string, SqlOperation>> = {
  TRANS_STMT_BEGIN: 'begin',
  TRANS_STMT_START: 'begin',
  TRANS_STMT_COMMIT: 'commit',
  TRANS_STMT_ROLLBACK: 'rollback',
  TRANS_STMT_SAVEPOINT: 'savepoint',
  TRANS_STMT_RELEASE: 'release',
  TRANS_STMT_ROLLBACK_TO: 'rollback',
  TRANS_STMT_PREPARE: 'prepare_transaction',
  TRANS_STMT_COMMIT_PREPARED: 'commit_prepared',
  TRANS_STMT_ROLLBACK_PREPARED: 'rollback_prepared'
}

// GUC names whose change switches the privileges the session runs with.
const ROLE_SETTINGS = new Set(['role', 'session_authorization'])

/**
 * The operation of one top-level statement node (`{ SelectStmt: {...} }` is type `SelectStmt`).
 * Statements that wrap another (EXPLAIN ANALYZE, PREPARE, DECLARE) are resolved by the caller.
 * @see https://www.postgresql.org/docs/current/sql-commands.html
 */
export function classifyStatement (type: string, body: AstObject): SqlOperation {
  const simple = SIMPLE_BY_NODE[type]
  if (simple === 'select') return isAstObject(body.intoClause) ? 'ddl:create' : 'select'
  if (simple) return simple
  const ddl = DDL_BY_NODE[type]
  if (ddl) return ddl
  switch (type) {
    case 'TransactionStmt': return TRANSACTION_BY_KIND[String(body.kind)] ?? 'unknown'
    case 'VariableSetStmt': return ROLE_SETTINGS.has(String(body.name)) ? 'set_role' : 'set'
    case 'GrantStmt':
    case 'GrantRoleStmt': return body.is_grant === true ? 'grant' : 'revoke'
    case 'AlterDefaultPrivilegesStmt': {
      const action = isAstObject(body.action) ? body.action : {}
      return action.is_grant === true ? 'grant' : 'revoke'
    }
    case 'FetchStmt': return body.ismove === true ? 'move' : 'fetch'
    // VACUUM (ANALYZE) is a vacuum; ANALYZE alone is an analyze.
    case 'VacuumStmt': return body.is_vacuumcmd === true ? 'vacuum' : 'analyze'
  }
  // The grammar names every CREATE/ALTER/DROP node after its verb (CreateStmt, CreatedbStmt,
  // AlterTableStmt, AlterSystemStmt, DropStmt, DropOwnedStmt, ...).
  if (type.startsWith('Create')) return 'ddl:create'
  if (type.startsWith('Alter')) return 'ddl:alter'
  if (type.startsWith('Drop')) return 'ddl:drop'
  return 'unknown'
}

/** Operations whose named relations are, by default, written (schema changes, privileges, maintenance). */
export function writesNamedRelations (operation: SqlOperation): boolean {
  return operation.startsWith('ddl:') || WRITE_DEFAULT.has(operation)
}

const WRITE_DEFAULT = new Set<SqlOperation>([
  'truncate', 'grant', 'revoke', 'lock', 'vacuum', 'analyze', 'cluster', 'reindex', 'refresh'
])
