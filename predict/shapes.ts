import { serviceOf } from './corpus.ts';

/**
 * Burst shapes: the recurring kinds of burst in an account ("EC2 Instances (read)" for an instances page load,
 * "CloudFormation ChangeSet (write)" for a deploy step). Bursts are grouped by their set of distinct actions
 * (the signature); signatures are clustered, most frequent first, onto the shape whose leading signature is the
 * most similar (Jaccard), so a page load with or without its optional calls is one shape. Deterministic, one pass.
 */

export interface Shape {
  id: number;
  /** Readable name built from the shape's services and what its calls are about. */
  name: string;
  /** Training bursts of this shape. */
  bursts: number;
  /** Actions with the share of the shape's bursts that contain them, most common first. */
  actions: { action: string; share: number }[];
}

export interface ShapeOptions {
  /** Jaccard similarity a signature needs to join a shape. */
  similarity: number;
  /** Bursts a signature needs to found a shape of its own. */
  minBursts: number;
  /** Most shapes kept (the most frequent). */
  maxShapes: number;
}

export const DEFAULT_SHAPE_OPTIONS: ShapeOptions = { similarity: 0.5, minBursts: 3, maxShapes: 400 };

/** Action ids of one burst, sorted ascending (the signature is their joined text). */
export type IdSet = readonly number[];

const signatureOf = (ids: IdSet) => ids.join(',');

/** Bursts with one set of actions, and the shape they were put in (-1: other). */
interface Signature {
  ids: IdSet;
  n: number;
  shape: number;
}

function jaccard(a: IdSet, b: IdSet): number {
  let i = 0;
  let j = 0;
  let both = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) (both++, i++, j++);
    else if (a[i] < b[j]) i++;
    else j++;
  }
  return both / (a.length + b.length - both);
}

export class ShapeBook {
  readonly shapes: Shape[] = [];
  private readonly cores: IdSet[] = [];
  private readonly bySignature = new Map<string, number>();
  /** Shapes whose core contains an action: where to look for the nearest shape of a new signature. */
  private readonly byAction = new Map<number, number[]>();

  private constructor(private readonly options: ShapeOptions) {}

  /**
   * Learns shapes from the bursts' sorted action-id sets; `nameOf` gives an id's `eventSource:eventName`. Returns
   * the book and each burst's shape (-1: other).
   */
  static learn(bursts: readonly IdSet[], nameOf: (id: number) => string, options: Partial<ShapeOptions> = {}): { book: ShapeBook; assigned: Int32Array } {
    // One-action bursts (the commonest) are keyed by the id itself: no string to build per burst.
    const counts = new Map<string | number, Signature>();
    // A set passed again as the same array (the burst model shares one array per distinct set) is keyed once.
    const keyOf = new Map<IdSet, string>();
    const signatures: Signature[] = new Array(bursts.length);
    for (let b = 0; b < bursts.length; b++) {
      const ids = bursts[b];
      let key: string | number;
      if (ids.length === 1) key = ids[0];
      else {
        let k = keyOf.get(ids);
        if (k === undefined) keyOf.set(ids, (k = signatureOf(ids)));
        key = k;
      }
      let c = counts.get(key);
      if (c) c.n++;
      else counts.set(key, (c = { ids, n: 1, shape: -1 }));
      signatures[b] = c;
    }
    const distinct = [...counts.values()];
    const { book, shapes } = ShapeBook.learnSets(
      distinct.map((c) => c.ids),
      distinct.map((c) => c.n),
      nameOf,
      options,
    );
    distinct.forEach((c, i) => (c.shape = shapes[i]));
    const assigned = Int32Array.from(signatures, (c) => c.shape);
    return { book, assigned };
  }

  /**
   * `learn` over distinct sets (each a different set of actions) and how many bursts had each: what the burst model
   * hands over, having kept one array per distinct set. Returns each set's shape (-1: other).
   */
  static learnSets(sets: readonly IdSet[], bursts: ArrayLike<number>, nameOf: (id: number) => string, options: Partial<ShapeOptions> = {}): { book: ShapeBook; shapes: Int32Array } {
    const book = new ShapeBook({ ...DEFAULT_SHAPE_OPTIONS, ...options });
    const shapes = new Int32Array(sets.length).fill(-1);
    const ordered = sets.map((ids, i) => [signatureOf(ids), { ids, n: bursts[i], set: i }] as const).sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1));
    const inclusion: Map<number, number>[] = [];
    const sizes: number[] = [];
    for (const [sig, c] of ordered) {
      const { ids, n } = c;
      let s = book.nearest(ids);
      if (s < 0) {
        if (n < book.options.minBursts || book.cores.length >= book.options.maxShapes) continue;
        s = book.cores.length;
        book.cores.push(ids);
        inclusion.push(new Map());
        sizes.push(0);
        for (const id of ids) (book.byAction.get(id) ?? book.byAction.set(id, []).get(id)!).push(s);
      }
      book.bySignature.set(sig, s);
      shapes[c.set] = s;
      sizes[s] += n;
      for (const id of ids) inclusion[s].set(id, (inclusion[s].get(id) ?? 0) + n);
    }
    const names = new Map<string, number>();
    for (let s = 0; s < book.cores.length; s++) {
      const actions = [...inclusion[s]]
        .sort((a, b) => b[1] - a[1] || a[0] - b[0])
        .map(([id, c]) => ({ action: nameOf(id), share: Math.round((c / sizes[s]) * 1000) / 1000 }));
      let name = shapeName(actions);
      const seen = names.get(name) ?? 0;
      names.set(name, seen + 1);
      if (seen > 0) name = `${name} #${seen + 1}`;
      book.shapes.push({ id: s, name, bursts: sizes[s], actions });
    }
    return { book, shapes };
  }

  /** The most similar shape (at or above the similarity threshold), or -1. */
  nearest(ids: IdSet, similarity = this.options.similarity): number {
    let best = -1;
    let bestSim = similarity;
    const tried = new Set<number>();
    for (const id of ids)
      for (const s of this.byAction.get(id) ?? []) {
        if (tried.has(s)) continue;
        tried.add(s);
        const sim = jaccard(ids, this.cores[s]);
        if (sim > bestSim || (sim === bestSim && best < 0)) (best = s), (bestSim = sim);
      }
    return best;
  }

  /** The shape of a burst: its signature's shape when seen in training, else the nearest one, else -1 (other). */
  shapeOf(ids: IdSet): number {
    return this.bySignature.get(signatureOf(ids)) ?? this.nearest(ids);
  }
}

const SERVICE_NAMES: Record<string, string> = {
  acm: 'ACM',
  apigateway: 'API Gateway',
  athena: 'Athena',
  autoscaling: 'Auto Scaling',
  backup: 'Backup',
  ce: 'Cost Explorer',
  cloudformation: 'CloudFormation',
  cloudfront: 'CloudFront',
  cloudtrail: 'CloudTrail',
  codebuild: 'CodeBuild',
  cognito: 'Cognito',
  'cognito-idp': 'Cognito',
  config: 'Config',
  dynamodb: 'DynamoDB',
  ec2: 'EC2',
  ecr: 'ECR',
  ecs: 'ECS',
  eks: 'EKS',
  elasticloadbalancing: 'ELB',
  events: 'EventBridge',
  glue: 'Glue',
  guardduty: 'GuardDuty',
  health: 'Health',
  iam: 'IAM',
  kms: 'KMS',
  lambda: 'Lambda',
  logs: 'CloudWatch Logs',
  monitoring: 'CloudWatch',
  notifications: 'Notifications',
  organizations: 'Organizations',
  rds: 'RDS',
  route53: 'Route 53',
  s3: 'S3',
  secretsmanager: 'Secrets Manager',
  securityhub: 'Security Hub',
  signin: 'Sign-in',
  sns: 'SNS',
  sqs: 'SQS',
  sso: 'IAM Identity Center',
  ssm: 'Systems Manager',
  states: 'Step Functions',
  sts: 'STS',
};

const VERB =
  /^(Batch)?(Describe|Get|List|Lookup|Search|Filter|Head|Check|Select|Scan|Query|Create|Update|Delete|Put|Start|Stop|Execute|Invoke|Run|Reboot|Terminate|Attach|Detach|Associate|Disassociate|Add|Remove|Tag|Untag|Modify|Set|Enable|Disable|Register|Deregister|Initiate|Complete|Upload|Assume|Decrypt|Encrypt|Generate|Send|Receive|Publish|Copy|Restore|Import|Export|Cancel|Reset|Test|Validate|Estimate|Allocate|Release|Authorize|Revoke|Request|Change|Apply|Preview|Rotate|Restart|Force)/;
const READ = /^(Describe|Get|List|Lookup|Search|Filter|Head|Check|Select|Scan|Query|BatchGet|BatchCheck|Preview|Estimate|Validate|Test)/;

const singular = (w: string) => (w.length > 3 && /[^s]s$/.test(w) ? w.slice(0, -1) : w);

/**
 * What a call is about: what follows its verb, singular (`DescribeChangeSet` -> `ChangeSet`), and the first word of
 * that (`DescribeInstanceStatus` -> `Instance`), which groups calls about the same thing.
 */
function topicOf(eventName: string): { word: string; whole: string } {
  const rest = eventName.replace(/\d{8}(v\d+)?$/, '').replace(VERB, '') || eventName;
  const word = /^[A-Z]+(?=[A-Z][a-z])|^[A-Z]?[a-z0-9]+|^[A-Z]+/.exec(rest)?.[0] ?? rest;
  return { word: singular(word), whole: singular(rest) };
}

/**
 * A readable name from a shape's actions: its main services, the commonest topic of their calls and whether any of
 * the core calls writes. Core = calls in at least half of the shape's bursts (or the commonest one).
 */
export function shapeName(actions: { action: string; share: number }[]): string {
  const core = actions.filter((a) => a.share >= 0.5);
  const used = core.length ? core : actions.slice(0, 1);
  const services = new Map<string, number>();
  const topics = new Map<string, number>();
  const wholes = new Map<string, Set<string>>();
  let writes = false;
  for (const { action } of used) {
    const i = action.lastIndexOf(':');
    const svc = serviceOf(action);
    const name = action.slice(i + 1);
    services.set(svc, (services.get(svc) ?? 0) + 1);
    const { word, whole } = topicOf(name);
    topics.set(word, (topics.get(word) ?? 0) + 1);
    (wholes.get(word) ?? wholes.set(word, new Set()).get(word)!).add(whole);
    if (!READ.test(name) && svc !== 'sts' && !(svc === 'kms' && /^(Decrypt|Encrypt|GenerateDataKey)/.test(name))) writes = true;
  }
  const top = <K,>(m: Map<K, number>) => [...m].sort((a, b) => b[1] - a[1] || (String(a[0]) < String(b[0]) ? -1 : 1)).map(([k]) => k);
  const svcNames = top(services)
    .slice(0, 2)
    .map((s) => SERVICE_NAMES[s] ?? s);
  // The whole topic when every call about it says the same (`ChangeSet`), else its first word (`Instance`).
  const word = top(topics)[0];
  const same = wholes.get(word)!;
  const topic = same.size === 1 ? [...same][0] : word;
  return `${svcNames.join(' + ')} ${topic} (${writes ? 'write' : 'read'})`;
}
