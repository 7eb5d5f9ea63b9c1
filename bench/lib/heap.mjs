// Compares two V8 heap snapshots: self size and count per constructor (objects) or
// per node type (strings, code, arrays...), largest growth first.
import { readFileSync } from 'node:fs';

function summarise(file) {
  const { snapshot, nodes, strings } = JSON.parse(readFileSync(file, 'utf8'));
  const fields = snapshot.meta.node_fields;
  const types = snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const groups = new Map();
  let total = 0;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    const key = type === 'object' || type === 'closure' ? `${type}: ${strings[nodes[i + nameAt]]}` : `(${type})`;
    const size = nodes[i + sizeAt];
    const group = groups.get(key) ?? { size: 0, count: 0 };
    group.size += size;
    group.count += 1;
    groups.set(key, group);
    total += size;
  }
  return { groups, total };
}

export function compareSnapshots(firstFile, lastFile, top = 15) {
  const a = summarise(firstFile);
  const b = summarise(lastFile);
  const keys = new Set([...a.groups.keys(), ...b.groups.keys()]);
  const rows = [...keys]
    .map((key) => {
      const x = a.groups.get(key) ?? { size: 0, count: 0 };
      const y = b.groups.get(key) ?? { size: 0, count: 0 };
      return { key, before: x, after: y, growth: y.size - x.size };
    })
    .sort((p, q) => q.growth - p.growth)
    .slice(0, top);
  const kb = (n) => `${(n / 1024).toFixed(0)}`;
  return [
    `Total self size: ${kb(a.total)} KB → ${kb(b.total)} KB.`,
    '',
    '| constructor / type | KB before → after | count before → after |',
    '|---|---:|---:|',
    ...rows.map((r) => `| ${r.key.replace(/\|/g, '\\|').slice(0, 60)} | ${kb(r.before.size)} → ${kb(r.after.size)} | ${r.before.count} → ${r.after.count} |`),
  ].join('\n');
}
