/** Names a policy file may use; anything else is reported with the closest known name. */

/**
 * SQL operations as the SQL analyzer reports them (SqlStatement.operation). Core cannot import the
 * analyzer, so this is a copy of its list; test/core/policy/vocabulary.test.ts keeps them equal.
 */
export const SQL_OPERATIONS = [
  'select', 'insert', 'update', 'delete', 'merge', 'copy', 'truncate',
  'ddl:create', 'ddl:alter', 'ddl:drop', 'ddl:comment',
  'grant', 'revoke',
  'set', 'set_role', 'show', 'discard', 'listen', 'unlisten', 'notify', 'load',
  'begin', 'commit', 'rollback', 'savepoint', 'release', 'prepare_transaction', 'commit_prepared', 'rollback_prepared',
  'execute', 'deallocate', 'fetch', 'move', 'close',
  'explain', 'call', 'do',
  'lock', 'vacuum', 'analyze', 'cluster', 'reindex', 'refresh', 'checkpoint',
  'unknown'
] as const

export const RULE_KEYS = ['id', 'description', 'match', 'action', 'message', 'mode', 'mask', 'limit', 'approval'] as const
export const MATCH_KEYS = ['protocol', 'target', 'identity', 'sql', 'llm', 'prompt'] as const
export const IDENTITY_KEYS = ['sub', 'groups', 'email'] as const
export const SQL_KEYS = ['operations', 'tables', 'without_where', 'multiple_statements'] as const
export const LLM_KEYS = ['model', 'route'] as const
export const PROMPT_KEYS = ['patterns', 'entities'] as const
export const MASK_KEYS = ['entities', 'columns', 'apply_to', 'style', 'recognizers'] as const
export const RECOGNIZER_KEYS = ['entity', 'pattern', 'validate', 'context', 'score'] as const
export const LIMIT_KEYS = ['requests', 'tokens', 'per'] as const
export const APPROVAL_KEYS = ['approvers', 'quorum', 'scope', 'timeout', 'wait'] as const
export const APPROVER_KEYS = ['groups', 'sub'] as const

export const ACTIONS = ['allow', 'deny', 'mask', 'rate_limit', 'require_approval'] as const
export const MODES = ['enforce', 'shadow'] as const
export const PROTOCOLS = ['postgres', 'http-llm'] as const
export const MASK_STYLES = ['label', 'partial', 'hash', 'null'] as const
export const MASK_TARGETS = ['request', 'response'] as const
export const VALIDATORS = ['luhn', 'mod97', 'none'] as const
export const LIMIT_SCOPES = ['user', 'group', 'global'] as const
export const APPROVAL_SCOPES = ['once', 'session', 'identity'] as const
