import { BOOK_MESSAGES, COMMON_ERRORS, FIELD_RULES, type BookMessageType, type FieldName } from './book-messages.ts';

/**
 * The README's reference of the password book's typed messages, rendered from
 * the declarations the validator uses. `npm run docs` writes it into the
 * README; a test fails when the README and the code disagree.
 */
export function renderBookReference(): string {
  const code = (text: string) => `\`${text}\``;
  const messages = (Object.keys(BOOK_MESSAGES) as BookMessageType[]).map((type) => {
    const spec = BOOK_MESSAGES[type];
    const oneOf: readonly (readonly string[])[] = 'oneOf' in spec ? spec.oneOf : [];
    const inGroup = new Set(oneOf.flat());
    const fields = [
      ...Object.entries(spec.fields)
        .filter(([field]) => !inGroup.has(field))
        .map(([field, presence]) => (presence === 'optional' ? `${code(field)}?` : code(field))),
      ...oneOf.map((group) => `one of ${group.map(code).join(', ')}`),
    ];
    const result = Object.entries(spec.result).map(([field, doc]) => `${code(field)}: ${doc}`);
    return `| ${code(type)} | ${spec.summary} | ${fields.join(', ') || '—'} | ${result.join('; ') || '—'} | ${spec.errors.map(code).join(', ') || '—'} |`;
  });
  const fields = (Object.keys(FIELD_RULES) as FieldName[]).map((field) => {
    const rule = FIELD_RULES[field];
    return `| ${code(field)} | ${rule.secret ? 'yes' : 'no'} | ${rule.doc} |`;
  });
  return [
    '| type | what it does | fields | result | errors |',
    '| --- | --- | --- | --- | --- |',
    ...messages,
    '',
    `Any message may also get ${COMMON_ERRORS.map(code).join(', ')}.`,
    '',
    '| field | secret | rule |',
    '| --- | --- | --- |',
    ...fields,
  ].join('\n');
}
