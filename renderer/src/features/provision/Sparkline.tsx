/**
 * A small inline SVG chart (no library): a line with a soft area under it, oldest value on the
 * left. Gaps (null: the host could not be read) break the line.
 */
export function Sparkline({ values, max, label, width = 120, height = 28, tone = 'accent' }: { values: (number | null)[]; max?: number; label: string; width?: number; height?: number; tone?: 'accent' | 'warn' | 'danger' }) {
  const nums = values.filter((v): v is number => v !== null && Number.isFinite(v));
  // a fixed scale when given (e.g. 100 %), else 25 % headroom over the highest value
  const top = max ?? Math.max(...nums.map((v) => v * 1.25), 1e-9);
  const n = values.length;
  const x = (i: number) => (n <= 1 ? width - 2 : 1 + (i * (width - 3)) / (n - 1));
  const y = (v: number) => height - 2 - (Math.min(v, top) / top) * (height - 4);
  const segments: { i: number; v: number }[][] = [];
  let cur: { i: number; v: number }[] = [];
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      if (cur.length) segments.push(cur);
      cur = [];
    } else cur.push({ i, v });
  });
  if (cur.length) segments.push(cur);
  return (
    <svg className={`spark spark-${tone}`} width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <title>{label}</title>
      <line className="spark-base" x1={0} x2={width} y1={height - 1.5} y2={height - 1.5} />
      {segments.map((seg, k) => {
        const pts = seg.map((p) => `${x(p.i).toFixed(1)},${y(p.v).toFixed(1)}`);
        const area = `M${x(seg[0]!.i).toFixed(1)},${height - 1.5} L${pts.join(' L')} L${x(seg.at(-1)!.i).toFixed(1)},${height - 1.5} Z`;
        return (
          <g key={k}>
            {seg.length > 1 && <path className="spark-area" d={area} />}
            {seg.length > 1 ? <polyline className="spark-line" points={pts.join(' ')} /> : null}
            <circle className="spark-dot" cx={x(seg.at(-1)!.i)} cy={y(seg.at(-1)!.v)} r={2} />
          </g>
        );
      })}
    </svg>
  );
}

/** A thin horizontal gauge (0..1) with its percentage. */
export function Gauge({ ratio, label }: { ratio: number; label: string }) {
  const r = Math.max(0, Math.min(1, ratio));
  const tone = r >= 0.9 ? 'danger' : r >= 0.75 ? 'warn' : 'ok';
  return (
    <span className={`gauge gauge-${tone}`} title={label} aria-label={label}>
      <span className="gauge-fill" style={{ width: `${(r * 100).toFixed(1)}%` }} />
    </span>
  );
}
