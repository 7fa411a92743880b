import type * as TS from 'typescript';

/**
 * What `help(x)` and the kernel globals' cards know from the prelude's declarations: for every declared
 * global, its one-line doc and its members (methods with parameters and return type, properties), read
 * from the `.d.ts` that generatePreludeTypes() assembles, with the TypeScript parser. The kernel bundle
 * runs this at build time (help-plugin.ts), so the kernel never loads TypeScript and no card is written
 * by hand: a method declared for the editor is described in the kernel.
 */

export interface HelpMember {
  name: string;
  kind: 'method' | 'property' | 'call';
  /** `(args?: CloudTrailLookupArgs)` for a method or call, with its type parameters; absent for a property. */
  params?: string;
  /** The return type of a method or call, the type of a property. */
  type?: string;
  doc?: string;
}

export interface GlobalHelp {
  name: string;
  doc?: string;
  members: HelpMember[];
  /** An index signature (`[mark: string]: any`): the global has more members than those declared. */
  more?: string;
}

export interface PreludeHelp {
  globals: Record<string, GlobalHelp>;
  /** Why the declarations could not be read (no TypeScript where the kernel was built). */
  unavailable?: string;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The first sentence of a doc comment: a card has one line per member. */
export function firstSentence(doc: string): string {
  // A sentence ends at a stop before a line break, a capital or the end; "0.5", "e.g. Plot" and "i.e." do not end one.
  const end = /(?<!\b(?:e\.g|i\.e))[.!?](?=[ \t]*\n|\s+[A-Z`"'(\[]|\s*$)/.exec(doc);
  return oneLine(end ? doc.slice(0, end.index + 1) : doc);
}

export function extractPreludeHelp(ts: typeof TS, dts: string): PreludeHelp {
  const sf = ts.createSourceFile('prelude.d.ts', dts, ts.ScriptTarget.ESNext, true, ts.ScriptKind.TS);
  const text = (n: TS.Node) => oneLine(n.getText(sf));
  const docOf = (n: TS.Node): string | undefined => {
    const docs = ts.getJSDocCommentsAndTags(n).filter(ts.isJSDoc);
    let comment = docs.map((d) => ts.getTextOfJSDocComment(d.comment) ?? '').find(Boolean);
    if (!comment) {
      // On the line of the previous member (`{ a: string; /** b's doc */ b: number }`) TypeScript does
      // not attach the comment to the member: it reads as the previous token's trailing comment.
      const range = ts.getTrailingCommentRanges(dts, n.pos)?.filter((r) => dts.startsWith('/**', r.pos)).at(-1);
      if (range) comment = dts.slice(range.pos + 3, range.end - 2).replace(/^\s*\* ?/gm, '');
    }
    return comment?.trim() ? firstSentence(comment) : undefined;
  };

  // Interfaces (merged when declared twice) and type aliases, to follow `declare const sql: SqlTag`.
  const interfaces = new Map<string, TS.InterfaceDeclaration[]>();
  const aliases = new Map<string, TS.TypeAliasDeclaration>();
  for (const s of sf.statements) {
    if (ts.isInterfaceDeclaration(s)) interfaces.set(s.name.text, [...(interfaces.get(s.name.text) ?? []), s]);
    else if (ts.isTypeAliasDeclaration(s)) aliases.set(s.name.text, s);
  }

  const signature = (n: TS.SignatureDeclarationBase) =>
    `${n.typeParameters ? `<${n.typeParameters.map(text).join(', ')}>` : ''}(${n.parameters.map(text).join(', ')})`;

  function membersOf(type: TS.TypeNode | undefined, seen = new Set<string>()): { members: HelpMember[]; more?: string } {
    if (!type) return { members: [] };
    if (ts.isTypeLiteralNode(type)) return fromElements(type.members);
    if (ts.isIntersectionTypeNode(type)) {
      const parts = type.types.map((t) => membersOf(t, seen));
      return { members: parts.flatMap((p) => p.members), more: parts.find((p) => p.more)?.more };
    }
    if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName)) {
      const name = type.typeName.text;
      if (seen.has(name)) return { members: [] };
      seen.add(name);
      const declared = interfaces.get(name);
      if (declared) return fromElements(declared.flatMap((d) => [...d.members]));
      const alias = aliases.get(name);
      if (alias) return membersOf(alias.type, seen);
    }
    return { members: [] };
  }

  function fromElements(elements: readonly TS.TypeElement[]): { members: HelpMember[]; more?: string } {
    const members: HelpMember[] = [];
    let more: string | undefined;
    for (const m of elements) {
      const doc = docOf(m);
      const name = m.name && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name)) ? m.name.text : undefined;
      if (ts.isMethodSignature(m) && name) members.push({ name, kind: 'method', params: signature(m), type: m.type && text(m.type), doc });
      else if (ts.isCallSignatureDeclaration(m)) members.push({ name: '', kind: 'call', params: signature(m), type: m.type && text(m.type), doc });
      else if (ts.isPropertySignature(m) && name) {
        const t = m.type;
        if (t && ts.isFunctionTypeNode(t)) members.push({ name, kind: 'method', params: signature(t), type: text(t.type), doc });
        else members.push({ name, kind: 'property', type: t && text(t), doc });
      } else if (ts.isIndexSignatureDeclaration(m)) more = doc ?? text(m).replace(/;$/, '');
    }
    return { members, more };
  }

  const globals: Record<string, GlobalHelp> = {};
  for (const s of sf.statements) {
    if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) {
        if (!ts.isIdentifier(d.name)) continue;
        const { members, more } = membersOf(d.type);
        globals[d.name.text] = { name: d.name.text, doc: docOf(s) ?? docOf(d), members, ...(more ? { more } : {}) };
      }
    } else if (ts.isFunctionDeclaration(s) && s.name) {
      const existing = globals[s.name.text];
      const call: HelpMember = { name: '', kind: 'call', params: signature(s), type: s.type && text(s.type), doc: docOf(s) };
      if (existing) existing.members.push(call);
      else globals[s.name.text] = { name: s.name.text, doc: docOf(s), members: [call] };
    }
  }
  return { globals };
}
