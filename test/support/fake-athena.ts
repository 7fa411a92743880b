/**
 * A local Amazon Athena endpoint (JSON 1.1, `X-Amz-Target: AmazonAthena.<Operation>`) for the real
 * @aws-sdk/client-athena. It holds the given CloudTrail records as rows of the standard CloudTrail table
 * (lower-case columns, `useridentity` and `resources` as structs, partition columns `region` and `timestamp`)
 * and *executes* the SQL it receives with a small interpreter covering the subset Trailbook generates:
 * SELECT / FROM / WHERE / GROUP BY / ORDER BY / LIMIT, AND/OR/NOT, comparisons, IS [NOT] NULL, IN, BETWEEN,
 * struct field access, CAST(... AS JSON), json_format, from_iso8601_timestamp, split, element_at, count, min,
 * max, array_agg(DISTINCT), array_sort, array_join. Unknown columns or struct fields and syntax errors fail the
 * query the way Athena does (state FAILED with a StateChangeReason). Queries go QUEUED -> RUNNING -> final over
 * successive GetQueryExecution polls.
 * With `engine` (the local DuckDB `cloudtrail` table) it executes the received SQL with that engine instead,
 * so the `sql` path's queries run unchanged without growing the interpreter.
 */
import { randomUUID } from 'node:crypto';
import type { CloudTrailRecord } from '../../cloudtrail/record.ts';
import { mapOutsideLiterals } from '../../cloudtrail/sql/athena.ts';
import type { SqlSource } from '../../cloudtrail/sql/result.ts';
import { awsError, startJsonFake, type JsonFake, type JsonReply } from './http-fake.ts';

// ---------------------------------------------------------------- table rows

type Value = string | number | boolean | null | Value[] | { [k: string]: Value };

const USER_IDENTITY_SCHEMA: Record<string, unknown> = {
  type: 's',
  principalid: 's',
  arn: 's',
  accountid: 's',
  invokedby: 's',
  accesskeyid: 's',
  username: 's',
  onbehalfof: { userid: 's', identitystorearn: 's' },
  sessioncontext: {
    attributes: { mfaauthenticated: 's', creationdate: 's' },
    sessionissuer: { type: 's', principalid: 's', arn: 's', accountid: 's', username: 's' },
    ec2roledelivery: 's',
    webidfederationdata: { federatedprovider: 's', attributes: 'map' },
  },
};

/** Builds a struct value the way the JSON SerDe does: fields matched case-insensitively, absent ones NULL. */
function toStruct(schema: Record<string, unknown>, value: unknown): Value {
  if (!value || typeof value !== 'object') return null;
  const lower = new Map(Object.entries(value as object).map(([k, v]) => [k.toLowerCase(), v]));
  const out: Record<string, Value> = {};
  for (const [k, t] of Object.entries(schema)) {
    const v = lower.get(k);
    if (t === 's') out[k] = v === undefined || v === null ? null : String(v);
    else if (t === 'map') out[k] = v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([a, b]) => [a, String(b)])) : null;
    else out[k] = toStruct(t as Record<string, unknown>, v);
  }
  return out;
}

const str = (v: unknown): string | null => (v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));

export function tableRow(r: CloudTrailRecord): Record<string, Value> {
  return {
    eventversion: str(r.eventVersion),
    useridentity: toStruct(USER_IDENTITY_SCHEMA, r.userIdentity),
    eventtime: r.eventTime,
    eventsource: r.eventSource,
    eventname: r.eventName,
    awsregion: str(r.awsRegion),
    sourceipaddress: str(r.sourceIPAddress),
    useragent: str(r.userAgent),
    errorcode: str(r.errorCode),
    errormessage: str(r.errorMessage),
    requestparameters: str(r.requestParameters),
    responseelements: str(r.responseElements),
    additionaleventdata: str(r.additionalEventData),
    requestid: str(r.requestID),
    eventid: str(r.eventID),
    readonly: r.readOnly === undefined ? null : String(r.readOnly),
    resources: r.resources ? r.resources.map((x) => ({ arn: str(x.ARN ?? x.arn), accountid: str(x.accountId), type: str(x.type) })) : null,
    eventtype: str(r.eventType),
    apiversion: str(r.apiVersion),
    recipientaccountid: str(r.recipientAccountId),
    sharedeventid: str(r.sharedEventID),
    vpcendpointid: str(r.vpcEndpointId),
    region: str(r.awsRegion),
    timestamp: r.eventTime.slice(0, 10).replace(/-/g, '/'),
  };
}

// ---------------------------------------------------------------- SQL subset

export class SqlError extends Error {}

type Tok = { t: 'str' | 'qid' | 'num' | 'id' | 'op'; v: string };

function tokenize(sql: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new SqlError('SYNTAX_ERROR: unterminated string literal');
        if (sql[i] === "'") {
          if (sql[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += sql[i++];
      }
      out.push({ t: 'str', v });
    } else if (c === '"') {
      const j = sql.indexOf('"', i + 1);
      if (j < 0) throw new SqlError('SYNTAX_ERROR: unterminated quoted identifier');
      out.push({ t: 'qid', v: sql.slice(i + 1, j) });
      i = j + 1;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(sql.slice(i))!;
      out.push({ t: 'num', v: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))!;
      out.push({ t: 'id', v: m[0].toLowerCase() });
      i += m[0].length;
    } else {
      const two = sql.slice(i, i + 2);
      if (['>=', '<=', '<>', '!='].includes(two)) {
        out.push({ t: 'op', v: two });
        i += 2;
      } else if ('=<>(),.*-'.includes(c)) {
        out.push({ t: 'op', v: c });
        i++;
      } else throw new SqlError(`SYNTAX_ERROR: unexpected character '${c}'`);
    }
  }
  return out;
}

type Node =
  | { k: 'lit'; v: Value }
  | { k: 'col'; path: string[] }
  | { k: 'fn'; name: string; args: Node[]; distinct?: boolean; star?: boolean }
  | { k: 'cast'; e: Node; type: string }
  | { k: 'cmp'; op: string; l: Node; r: Node }
  | { k: 'and' | 'or'; l: Node; r: Node }
  | { k: 'not'; e: Node }
  | { k: 'isnull'; e: Node; neg: boolean }
  | { k: 'in'; e: Node; list: Node[]; neg: boolean }
  | { k: 'between'; e: Node; lo: Node; hi: Node }
  | { k: 'neg'; e: Node };

interface Select {
  items: { e: Node; alias?: string }[];
  from: string[];
  where?: Node;
  groupBy: Node[];
  orderBy: { e: Node; desc: boolean }[];
  limit?: number;
}

const KEYWORDS = new Set(['select', 'from', 'where', 'group', 'by', 'order', 'limit', 'and', 'or', 'not', 'is', 'null', 'in', 'between', 'as', 'asc', 'desc', 'distinct']);

export function parseSql(sql: string): Select {
  const toks = tokenize(sql);
  let p = 0;
  const peek = (v?: string) => (v === undefined ? toks[p] : toks[p] && (toks[p].t === 'id' || toks[p].t === 'op') && toks[p].v === v);
  const eat = (v: string) => {
    if (!peek(v)) throw new SqlError(`SYNTAX_ERROR: expected '${v}' but found '${toks[p]?.v ?? 'end of query'}'`);
    p++;
  };
  const ident = (): string => {
    const t = toks[p++];
    if (!t || (t.t !== 'id' && t.t !== 'qid') || (t.t === 'id' && KEYWORDS.has(t.v))) throw new SqlError(`SYNTAX_ERROR: expected identifier, found '${t?.v ?? 'end of query'}'`);
    return t.v;
  };

  function primary(): Node {
    const t = toks[p];
    if (!t) throw new SqlError('SYNTAX_ERROR: unexpected end of query');
    if (t.t === 'str') return p++, { k: 'lit', v: t.v };
    if (t.t === 'num') return p++, { k: 'lit', v: Number(t.v) };
    if (peek('(')) {
      p++;
      const e = expr();
      eat(')');
      return e;
    }
    if (peek('null')) return p++, { k: 'lit', v: null };
    if (peek('cast')) {
      p++;
      eat('(');
      const e = expr();
      eat('as');
      const type = ident();
      eat(')');
      return { k: 'cast', e, type };
    }
    const name = ident();
    if (t.t === 'id' && peek('(')) {
      p++;
      if (peek('*')) {
        p++;
        eat(')');
        return { k: 'fn', name, args: [], star: true };
      }
      const distinct = !!peek('distinct') && (p++, true);
      const args: Node[] = [];
      if (!peek(')')) {
        args.push(expr());
        while (peek(',')) p++, args.push(expr());
      }
      eat(')');
      return { k: 'fn', name, args, distinct };
    }
    const path = [name];
    while (peek('.')) p++, path.push(ident());
    return { k: 'col', path };
  }
  function unary(): Node {
    if (peek('-')) return p++, { k: 'neg', e: unary() };
    return primary();
  }
  function predicate(): Node {
    const l = unary();
    const t = toks[p];
    if (t?.t === 'op' && ['=', '<>', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      p++;
      return { k: 'cmp', op: t.v === '!=' ? '<>' : t.v, l, r: unary() };
    }
    if (peek('is')) {
      p++;
      const neg = !!peek('not') && (p++, true);
      eat('null');
      return { k: 'isnull', e: l, neg };
    }
    const neg = !!peek('not') && (p++, true);
    if (peek('in')) {
      p++;
      eat('(');
      const list = [expr()];
      while (peek(',')) p++, list.push(expr());
      eat(')');
      return { k: 'in', e: l, list, neg };
    }
    if (neg) throw new SqlError("SYNTAX_ERROR: expected IN after NOT");
    if (peek('between')) {
      p++;
      const lo = unary();
      eat('and');
      return { k: 'between', e: l, lo, hi: unary() };
    }
    return l;
  }
  function not(): Node {
    if (peek('not')) return p++, { k: 'not', e: not() };
    return predicate();
  }
  function and(): Node {
    let l = not();
    while (peek('and')) p++, (l = { k: 'and', l, r: not() });
    return l;
  }
  function expr(): Node {
    let l = and();
    while (peek('or')) p++, (l = { k: 'or', l, r: and() });
    return l;
  }

  eat('select');
  const items: Select['items'] = [];
  do {
    const e = expr();
    const alias = peek('as') ? (p++, ident()) : undefined;
    items.push({ e, alias });
  } while (peek(',') && (p++, true));
  eat('from');
  const from = [ident()];
  while (peek('.')) p++, from.push(ident());
  const sel: Select = { items, from, groupBy: [], orderBy: [] };
  if (peek('where')) p++, (sel.where = expr());
  if (peek('group')) {
    p++;
    eat('by');
    do sel.groupBy.push(expr());
    while (peek(',') && (p++, true));
  }
  if (peek('order')) {
    p++;
    eat('by');
    do {
      const e = expr();
      const desc = peek('desc') ? (p++, true) : (peek('asc') && p++, false);
      sel.orderBy.push({ e, desc });
    } while (peek(',') && (p++, true));
  }
  if (peek('limit')) {
    p++;
    const t = toks[p++];
    if (t?.t !== 'num') throw new SqlError('SYNTAX_ERROR: LIMIT needs a number');
    sel.limit = Number(t.v);
  }
  if (p < toks.length) throw new SqlError(`SYNTAX_ERROR: unexpected '${toks[p].v}'`);
  return sel;
}

const AGGREGATES = new Set(['count', 'min', 'max', 'array_agg']);
const hasAggregate = (n: Node): boolean =>
  n.k === 'fn' ? AGGREGATES.has(n.name) || n.args.some(hasAggregate) : n.k === 'cast' || n.k === 'not' || n.k === 'neg' || n.k === 'isnull' ? hasAggregate(n.e) : false;

interface Ctx {
  row: Record<string, Value>;
  group?: Record<string, Value>[];
  aliases?: Record<string, Value>;
}

function compare(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new SqlError(`TYPE_MISMATCH: cannot compare ${typeof a} with ${typeof b}`);
}

function evaluate(n: Node, ctx: Ctx): Value {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'neg': {
      const v = evaluate(n.e, ctx);
      return typeof v === 'number' ? -v : null;
    }
    case 'col': {
      if (n.path.length === 1 && ctx.aliases && n.path[0] in ctx.aliases) return ctx.aliases[n.path[0]];
      if (!(n.path[0] in ctx.row)) throw new SqlError(`COLUMN_NOT_FOUND: line 1:8: Column '${n.path[0]}' cannot be resolved`);
      let v: Value = ctx.row[n.path[0]];
      for (const f of n.path.slice(1)) {
        if (v === null) return null;
        if (typeof v !== 'object' || Array.isArray(v) || !(f in v)) throw new SqlError(`COLUMN_NOT_FOUND: Column '${n.path.join('.')}' cannot be resolved`);
        v = (v as Record<string, Value>)[f];
      }
      return v;
    }
    case 'cast': {
      const v = evaluate(n.e, ctx);
      if (n.type === 'json') return v;
      if (n.type === 'varchar') return v === null ? null : String(v);
      throw new SqlError(`NOT_SUPPORTED: CAST AS ${n.type}`);
    }
    case 'cmp': {
      const l = evaluate(n.l, ctx);
      const r = evaluate(n.r, ctx);
      if (l === null || r === null) return null;
      const c = compare(l, r);
      return { '=': c === 0, '<>': c !== 0, '<': c < 0, '<=': c <= 0, '>': c > 0, '>=': c >= 0 }[n.op]!;
    }
    case 'and': {
      const l = evaluate(n.l, ctx);
      if (l === false) return false;
      const r = evaluate(n.r, ctx);
      return r === false ? false : l === null || r === null ? null : true;
    }
    case 'or': {
      const l = evaluate(n.l, ctx);
      if (l === true) return true;
      const r = evaluate(n.r, ctx);
      return r === true ? true : l === null || r === null ? null : false;
    }
    case 'not': {
      const v = evaluate(n.e, ctx);
      return v === null ? null : !v;
    }
    case 'isnull':
      return (evaluate(n.e, ctx) === null) !== n.neg;
    case 'in': {
      const v = evaluate(n.e, ctx);
      if (v === null) return null;
      return n.list.some((x) => compare(v, evaluate(x, ctx)) === 0) !== n.neg;
    }
    case 'between': {
      const v = evaluate(n.e, ctx);
      if (v === null) return null;
      return compare(v, evaluate(n.lo, ctx)) >= 0 && compare(v, evaluate(n.hi, ctx)) <= 0;
    }
    case 'fn':
      return call(n, ctx);
  }
}

function call(n: Extract<Node, { k: 'fn' }>, ctx: Ctx): Value {
  if (AGGREGATES.has(n.name)) {
    const group = ctx.group ?? [ctx.row];
    if (n.name === 'count' && n.star) return group.length;
    const values = group.map((row) => evaluate(n.args[0], { row })).filter((v) => v !== null);
    if (n.name === 'count') return n.distinct ? new Set(values.map((v) => JSON.stringify(v))).size : values.length;
    if (n.name === 'array_agg') return n.distinct ? [...new Map(values.map((v) => [JSON.stringify(v), v])).values()] : values;
    if (!values.length) return null;
    return values.reduce((a, b) => ((n.name === 'min' ? compare(b, a) < 0 : compare(b, a) > 0) ? b : a));
  }
  const args = n.args.map((a) => evaluate(a, ctx));
  switch (n.name) {
    case 'from_iso8601_timestamp': {
      if (args[0] === null) return null;
      const t = Date.parse(String(args[0]));
      if (Number.isNaN(t)) throw new SqlError(`INVALID_FUNCTION_ARGUMENT: Invalid format: "${args[0]}"`);
      return t;
    }
    case 'json_format':
      return args[0] === null ? null : JSON.stringify(args[0]);
    case 'split':
      return args[0] === null ? null : String(args[0]).split(String(args[1]));
    case 'element_at': {
      const [arr, i] = args as [Value[] | null, number];
      if (!Array.isArray(arr)) return null;
      const v = i < 0 ? arr[arr.length + i] : arr[i - 1];
      return v === undefined ? null : v;
    }
    case 'array_sort':
      return Array.isArray(args[0]) ? [...args[0]].sort((a, b) => compare(a, b)) : null;
    case 'array_join':
      return Array.isArray(args[0]) ? args[0].map(String).join(String(args[1])) : null;
    case 'lower':
      return args[0] === null ? null : String(args[0]).toLowerCase();
    default:
      throw new SqlError(`FUNCTION_NOT_FOUND: Function '${n.name}' not registered`);
  }
}

export interface ResultTable {
  columns: string[];
  rows: (string | undefined)[][];
  /** Athena column types (`varchar` when absent). */
  types?: string[];
}

const cell = (v: Value): string | undefined => (v === null ? undefined : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));

export function execute(sql: string, table: { database: string; name: string; rows: Record<string, Value>[] }): ResultTable {
  const q = parseSql(sql);
  const from = q.from.map((s) => s.toLowerCase());
  const target = from.length === 1 ? [table.database, from[0]] : from.slice(-2);
  if (target[0] !== table.database.toLowerCase() || target[1] !== table.name.toLowerCase()) throw new SqlError(`TABLE_NOT_FOUND: line 2:6: Table 'awsdatacatalog.${from.join('.')}' does not exist`);
  const rows = q.where ? table.rows.filter((row) => evaluate(q.where!, { row }) === true) : table.rows;
  const columns = q.items.map((it, i) => it.alias ?? (it.e.k === 'col' ? it.e.path[it.e.path.length - 1] : `_col${i}`));
  let out: { ctx: Ctx; values: Value[] }[];
  if (q.groupBy.length || q.items.some((it) => hasAggregate(it.e))) {
    const groups = new Map<string, Record<string, Value>[]>();
    if (!q.groupBy.length) groups.set('', rows);
    for (const row of q.groupBy.length ? rows : []) {
      const key = JSON.stringify(q.groupBy.map((g) => evaluate(g, { row })));
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    out = [...groups.values()].map((group) => {
      const ctx: Ctx = { row: group[0] ?? {}, group };
      return { ctx, values: q.items.map((it) => evaluate(it.e, ctx)) };
    });
  } else out = rows.map((row) => ({ ctx: { row }, values: q.items.map((it) => evaluate(it.e, { row })) }));
  if (q.orderBy.length) {
    for (const o of out) o.ctx.aliases = Object.fromEntries(columns.map((c, i) => [c, o.values[i]]));
    const keyed = out.map((o) => ({ o, keys: q.orderBy.map((ob) => evaluate(ob.e, o.ctx)) }));
    keyed.sort((a, b) => {
      for (let i = 0; i < q.orderBy.length; i++) {
        const x = a.keys[i];
        const y = b.keys[i];
        if (x === y) continue;
        if (x === null) return 1; // NULLS LAST
        if (y === null) return -1;
        const c = compare(x, y);
        if (c) return q.orderBy[i].desc ? -c : c;
      }
      return 0;
    });
    out = keyed.map((k) => k.o);
  }
  if (q.limit !== undefined) out = out.slice(0, q.limit);
  return { columns, rows: out.map((o) => o.values.map(cell)) };
}

// ---------------------------------------------------------------- executing with the local engine

/** Athena's result type names for the engine's (DuckDB) column types. */
function athenaType(duck: string): string {
  if (/^(BIGINT|INTEGER|SMALLINT|TINYINT|DOUBLE|BOOLEAN)$/.test(duck)) return duck.toLowerCase();
  if (duck === 'FLOAT') return 'real';
  if (duck.startsWith('DECIMAL')) return 'decimal';
  if (duck.startsWith('STRUCT')) return 'row';
  if (duck.endsWith('[]')) return 'array';
  if (duck.startsWith('MAP')) return 'map';
  if (duck.startsWith('TIMESTAMP')) return 'timestamp';
  return 'varchar';
}

const engineCell = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v));

async function executeWithEngine(engine: SqlSource, sql: string, parameters: string[], table: { database: string; name: string }): Promise<ResultTable> {
  // "awsdatacatalog"."cloudtrail"."cloudtrail_logs", cloudtrail.cloudtrail_logs, ... → the engine's table.
  const q = (name: string) => `"?${name}"?`;
  const qualified = new RegExp(`(${q('awsdatacatalog')}\\.)?(${q(table.database)}\\.)?${q(table.name)}(?![\\w"])`, 'gi');
  let i = 0;
  // Athena substitutes the ExecutionParameters (SQL literals) for the `?` placeholders in order.
  const text = mapOutsideLiterals(sql.replace(qualified, 'cloudtrail'), (plain) =>
    plain.replace(/\?/g, () => {
      if (i >= parameters.length) throw new SqlError(`INVALID_PARAMETER_USAGE: the query has more ? placeholders than the ${parameters.length} ExecutionParameters`);
      return parameters[i++];
    }),
  );
  const r = await engine.query(text, [], { maxRows: 1_000_000 });
  return { columns: r.columns.map((c) => c.name), types: r.columns.map((c) => athenaType(c.type)), rows: r.rows.map((row) => r.columns.map((c) => engineCell(row[c.name]))) };
}

// ---------------------------------------------------------------- the endpoint

export interface FakeQuery {
  id: string;
  sql: string;
  database?: string;
  workgroup?: string;
  outputLocation?: string;
  polls: number;
  final: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  reason?: string;
  result?: ResultTable;
  submittedAt: number;
}

export interface FakeAthenaOptions {
  database?: string;
  table?: string;
  /** GetQueryExecution polls that report QUEUED, then RUNNING, before the final state. */
  queuedPolls?: number;
  runningPolls?: number;
  /** Make a query fail: return Athena's StateChangeReason. */
  fail?: (sql: string) => string | undefined;
  /**
   * Execute what is received with this engine (Trailbook's local DuckDB `cloudtrail` table) instead of the
   * hand-written interpreter: the Athena table name is mapped to `cloudtrail`, `?` placeholders get the
   * ExecutionParameters, and the engine's errors fail the query the way Athena's do.
   */
  engine?: SqlSource;
}

export interface FakeAthena extends JsonFake {
  queries: FakeQuery[];
  inject: JsonReply[];
}

export const ATHENA_TARGET = 'AmazonAthena';

export async function startFakeAthena(records: CloudTrailRecord[], opts: FakeAthenaOptions = {}): Promise<FakeAthena> {
  const table = { database: opts.database ?? 'cloudtrail', name: opts.table ?? 'cloudtrail_logs', rows: records.map(tableRow) };
  const queries: FakeQuery[] = [];
  const inject: JsonReply[] = [];
  const queued = opts.queuedPolls ?? 1;
  const running = opts.runningPolls ?? 1;
  const byId = (id: string) => queries.find((q) => q.id === id);
  const stateOf = (q: FakeQuery) => (q.final === 'CANCELLED' ? 'CANCELLED' : q.polls <= queued ? 'QUEUED' : q.polls <= queued + running ? 'RUNNING' : q.final);

  const handlers: Record<string, (b: any) => JsonReply | Promise<JsonReply>> = {
    async StartQueryExecution(b) {
      if (typeof b.QueryString !== 'string' || !b.QueryString) return awsError('InvalidRequestException', 'QueryString is required');
      const q: FakeQuery = { id: randomUUID(), sql: b.QueryString, database: b.QueryExecutionContext?.Database, workgroup: b.WorkGroup, outputLocation: b.ResultConfiguration?.OutputLocation, polls: 0, final: 'SUCCEEDED', submittedAt: Date.now() };
      const reason = opts.fail?.(q.sql);
      if (reason) Object.assign(q, { final: 'FAILED', reason });
      else if (opts.engine) {
        try {
          q.result = await executeWithEngine(opts.engine, q.sql, b.ExecutionParameters ?? [], table);
        } catch (err) {
          Object.assign(q, { final: 'FAILED', reason: (err as Error).message });
        }
      } else {
        try {
          q.result = execute(q.sql, table);
        } catch (err) {
          if (!(err instanceof SqlError)) throw err;
          Object.assign(q, { final: 'FAILED', reason: err.message });
        }
      }
      queries.push(q);
      return { body: { QueryExecutionId: q.id } };
    },
    GetQueryExecution(b) {
      const q = byId(b.QueryExecutionId);
      if (!q) return awsError('InvalidRequestException', `QueryExecution ${b.QueryExecutionId} was not found`);
      q.polls++;
      const state = stateOf(q);
      const done = state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED';
      return {
        body: {
          QueryExecution: {
            QueryExecutionId: q.id,
            Query: q.sql,
            StatementType: 'DML',
            QueryExecutionContext: { Database: q.database, Catalog: 'awsdatacatalog' },
            WorkGroup: q.workgroup ?? 'primary',
            ResultConfiguration: { OutputLocation: `${q.outputLocation ?? 's3://aws-athena-query-results/'}${q.id}.csv` },
            Status: {
              State: state,
              SubmissionDateTime: q.submittedAt / 1000,
              ...(done ? { CompletionDateTime: Date.now() / 1000 } : {}),
              ...(state === 'FAILED' ? { StateChangeReason: q.reason, AthenaError: { ErrorCategory: 2, ErrorType: 1006, Retryable: false, ErrorMessage: q.reason } } : {}),
              ...(state === 'CANCELLED' ? { StateChangeReason: 'Query cancelled by user' } : {}),
            },
            Statistics: { DataScannedInBytes: done ? 1_234_567 : 0, EngineExecutionTimeInMillis: 42 },
          },
        },
      };
    },
    GetQueryResults(b) {
      const q = byId(b.QueryExecutionId);
      if (!q) return awsError('InvalidRequestException', `QueryExecution ${b.QueryExecutionId} was not found`);
      const state = stateOf(q);
      if (state !== 'SUCCEEDED') return awsError('InvalidRequestException', `Query has not yet finished. Current state: ${state}`);
      const max = b.MaxResults ?? 1000;
      if (max < 1 || max > 1000) return awsError('InvalidRequestException', 'MaxResults must be between 1 and 1000');
      const all = [q.result!.columns, ...q.result!.rows];
      const offset = b.NextToken ? Number(Buffer.from(b.NextToken, 'base64').toString()) : 0;
      const page = all.slice(offset, offset + max);
      return {
        body: {
          UpdateCount: 0,
          ResultSet: {
            Rows: page.map((r) => ({ Data: r.map((v) => (v === undefined ? {} : { VarCharValue: v })) })),
            ResultSetMetadata: { ColumnInfo: q.result!.columns.map((Name, i) => ({ CatalogName: 'hive', SchemaName: '', TableName: '', Name, Label: Name, Type: q.result!.types?.[i] ?? 'varchar', Precision: 2147483647, Scale: 0, Nullable: 'UNKNOWN', CaseSensitive: true })) },
          },
          NextToken: offset + max < all.length ? Buffer.from(String(offset + max)).toString('base64') : undefined,
        },
      };
    },
    StopQueryExecution(b) {
      const q = byId(b.QueryExecutionId);
      if (q && stateOf(q) !== 'SUCCEEDED' && stateOf(q) !== 'FAILED') q.final = 'CANCELLED';
      return { body: {} };
    },
  };

  const fake = await startJsonFake({
    targetPrefix: ATHENA_TARGET,
    handle: (req) => {
      const forced = inject.shift();
      if (forced) return forced;
      const h = handlers[req.operation];
      return h ? h(req.body) : awsError('UnknownOperationException', `operation ${req.operation} is not faked`);
    },
  });
  return Object.assign(fake, { queries, inject });
}
