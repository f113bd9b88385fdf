import { describe, expect, it } from 'vitest';
import { defaultValues, paramFields, parametersToSend } from './params';

const schema = {
  type: 'object',
  properties: {
    days: { type: 'integer', default: 14, minimum: 1, maximum: 90, description: 'How many days.' },
    targetRoas: { type: 'number', default: 2 },
    note: { type: 'string' },
    strict: { type: 'boolean', default: true },
    nested: { type: 'object' },
  },
  required: ['days'],
};

describe('agent parameters', () => {
  it('makes one input per property of a supported type', () => {
    const fields = paramFields(schema);
    expect(fields.map((f) => [f.name, f.label, f.type])).toEqual([
      ['days', 'Days', 'integer'],
      ['targetRoas', 'Target ROAS', 'number'],
      ['note', 'Note', 'string'],
      ['strict', 'Strict', 'boolean'],
    ]);
    expect(fields[0]).toMatchObject({ minimum: 1, maximum: 90, required: true, default: 14 });
    expect(paramFields(null)).toEqual([]);
  });

  it('starts from the defaults and leaves empty inputs to them', () => {
    const fields = paramFields(schema);
    expect(defaultValues(fields)).toEqual({ days: 14, targetRoas: 2, note: '', strict: true });
    expect(parametersToSend(fields, { days: '30', targetRoas: undefined, note: '', strict: false })).toEqual({ days: 30, strict: false });
  });
});
