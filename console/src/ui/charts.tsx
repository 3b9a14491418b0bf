import { CartesianGrid, Legend, Line, LineChart, ReferenceDot, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface Series {
  key: string;
  label: string;
  color: string;
}

/** A line chart with optional marked points (anomalies); colours chosen for contrast on white. */
export function TimeChart({ title, data, xKey, series, marks = [] }: { title: string; data: Array<Record<string, number | string | null>>; xKey: string; series: Series[]; marks?: Array<{ x: string | number; y: number; label: string }> }) {
  return (
    <figure className="chart" aria-label={title}>
      <figcaption><strong>{title}</strong></figcaption>
      {data.length === 0 ? <p className="muted">No data in this window.</p> : (
        <ResponsiveContainer width="100%" height={220}>
          <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
            <CartesianGrid stroke="#e5e7eb" />
            <XAxis dataKey={xKey} stroke="#374151" fontSize={12} />
            <YAxis stroke="#374151" fontSize={12} />
            <Tooltip />
            <Legend />
            {series.map((entry) => <Line key={entry.key} type="monotone" dataKey={entry.key} name={entry.label} stroke={entry.color} dot={false} isAnimationActive={false} />)}
            {marks.map((mark, index) => <ReferenceDot key={index} x={mark.x} y={mark.y} r={6} fill="#b91c1c" stroke="#7f1d1d" label={{ value: '!', position: 'top', fill: '#7f1d1d' }} />)}
          </LineChart>
        </ResponsiveContainer>
      )}
      {marks.length > 0 ? <ul className="muted">{marks.map((mark, index) => <li key={index}>Anomaly at {mark.x}: {mark.label}</li>)}</ul> : null}
    </figure>
  );
}
