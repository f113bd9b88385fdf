// An agent's parameters form, from the JSON Schema it declares.

export interface ParamField {
  name: string;
  label: string;
  type: 'number' | 'integer' | 'string' | 'boolean';
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: string[];
  required: boolean;
}

function label(name: string, title: unknown): string {
  if (typeof title === 'string' && title) return title;
  const s = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]/g, ' ').toLowerCase();
  return (s.charAt(0).toUpperCase() + s.slice(1)).replace(/\broas\b/gi, 'ROAS');
}

/** The inputs a parameters schema describes, in its order. */
export function paramFields(schema: unknown): ParamField[] {
  if (!schema || typeof schema !== 'object') return [];
  const s = schema as { properties?: Record<string, Record<string, unknown>>; required?: unknown };
  const required = Array.isArray(s.required) ? (s.required as string[]) : [];
  return Object.entries(s.properties ?? {}).flatMap(([name, p]) => {
    const type = p.type;
    if (type !== 'number' && type !== 'integer' && type !== 'string' && type !== 'boolean') return [];
    return [
      {
        name,
        label: label(name, p.title),
        type,
        description: typeof p.description === 'string' ? p.description : undefined,
        default: p.default,
        minimum: typeof p.minimum === 'number' ? p.minimum : undefined,
        maximum: typeof p.maximum === 'number' ? p.maximum : undefined,
        enum: Array.isArray(p.enum) ? p.enum.map(String) : undefined,
        required: required.includes(name),
      },
    ];
  });
}

/** The starting values of a form: each parameter's default. */
export function defaultValues(fields: ParamField[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f.name, f.default ?? (f.type === 'boolean' ? false : f.type === 'string' ? '' : undefined)]));
}

/** What runAgent gets: values set, empty ones left to their defaults. */
export function parametersToSend(fields: ParamField[], values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = values[f.name];
    if (v === undefined || v === '' || v === null) continue;
    out[f.name] = f.type === 'integer' || f.type === 'number' ? Number(v) : v;
  }
  return out;
}
