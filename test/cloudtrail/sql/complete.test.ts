import { describe, expect, it } from 'vitest';
import { completeSql } from '../../../cloudtrail/sql/complete.ts';
import { tableSchema } from '../../../cloudtrail/sql/schema.ts';

const at = (text: string) => {
  const cursor = text.indexOf('|');
  return completeSql(text.replace('|', ''), cursor);
};
const labels = (text: string) => at(text).items.map((i) => i.label);

describe('SQL completion over the cloudtrail table', () => {
  it('offers the table and every column, with its Athena type, filtered by the word typed', () => {
    const all = at('SELECT | FROM cloudtrail');
    expect(all.items.map((i) => i.label)).toEqual(['cloudtrail', ...tableSchema().columns.map((c) => c.name)]);
    expect(all.items.find((i) => i.label === 'eventtime')).toMatchObject({ kind: 'column', detail: 'STRING', doc: expect.stringMatching(/ISO 8601/) });
    expect(labels('SELECT * FROM cloud|')).toEqual(['cloudtrail']);
    expect(labels('SELECT EVENTN|')).toEqual(['eventname']);
    expect(at('SELECT eventn|').from).toBe(7);
  });

  it('offers the fields of a struct after a dotted path, past an alias and an array index', () => {
    expect(labels('SELECT useridentity.|')).toEqual(['type', 'principalid', 'arn', 'accountid', 'invokedby', 'accesskeyid', 'username', 'onbehalfof', 'sessioncontext']);
    expect(labels('SELECT useridentity.sessioncontext.sessionissuer.user|')).toEqual(['username']);
    expect(labels('SELECT c.useridentity.a|')).toEqual(['arn', 'accountid', 'accesskeyid']);
    expect(labels('SELECT resources[1].|')).toEqual(['arn', 'accountid', 'type']);
    expect(at('SELECT tlsdetails.|').items[0]).toMatchObject({ kind: 'field', detail: 'STRING' });
    expect(labels('SELECT c.eventn|')).toEqual(['eventname']);
  });

  it('offers nothing after a plain string column, inside a literal or in a comment', () => {
    expect(labels('SELECT eventname.|')).toEqual([]);
    expect(labels("SELECT * FROM cloudtrail WHERE eventname = 'Get|")).toEqual([]);
    expect(labels('SELECT 1 -- even|')).toEqual([]);
    expect(labels("SELECT 'a' AS x, even|")).toEqual(['eventversion', 'eventtime', 'eventsource', 'eventname', 'eventid', 'eventtype', 'eventcategory']);
  });
});
