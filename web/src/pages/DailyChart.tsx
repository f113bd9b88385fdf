// The daily revenue and ad spend chart: its own chunk, loaded with the dashboard.
import { Area, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { day, money, moneyCompact } from '../format';

export interface Day {
  date: string;
  revenue: number;
  adSpend: number;
}

export default function DailyChart({ days, currency }: { days: readonly Day[]; currency: string }) {
  return (
    <div style={{ width: '100%', height: 280 }} role="img" aria-label="Daily revenue and ad spend">
      <ResponsiveContainer>
        <ComposedChart data={days as Day[]} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
          <defs>
            <linearGradient id="revenueFill" x1="0" y1="0" x2="0" y2="1">
              <stop offset="0%" stopColor="#4c6ef5" stopOpacity={0.35} />
              <stop offset="100%" stopColor="#4c6ef5" stopOpacity={0.02} />
            </linearGradient>
          </defs>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e9ecef" />
          <XAxis dataKey="date" tickFormatter={(d: string) => day(d)} tick={{ fontSize: 12 }} minTickGap={24} />
          <YAxis tickFormatter={(v: number) => moneyCompact(v, currency)} tick={{ fontSize: 12 }} width={64} />
          <Tooltip formatter={(v, name) => [money(Number(v), currency), name]} labelFormatter={(d) => day(String(d), true)} />
          <Legend />
          <Area type="monotone" dataKey="revenue" name="Revenue" stroke="#4c6ef5" strokeWidth={2} fill="url(#revenueFill)" isAnimationActive={false} />
          <Line type="monotone" dataKey="adSpend" name="Ad spend" stroke="#f76707" strokeWidth={2} dot={false} isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
