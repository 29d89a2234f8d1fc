/**
 * The one chart component: Apache ECharts from `echarts/core` with only the parts the metrics use
 * (bar and line series, grid, tooltip, legend; SVG rendering: crisp and clickable per element).
 */
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { init, use as registerCharts, type ComposeOption, type ECharts } from 'echarts/core';
import type { BarSeriesOption, LineSeriesOption } from 'echarts/charts';
import type { GridComponentOption, LegendComponentOption, TooltipComponentOption } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

registerCharts([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

export type ChartOption = ComposeOption<BarSeriesOption | LineSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption>;

/** A chart filling its box; `onPoint` gets the category index of a clicked bar or point. */
export function Chart({ option, onPoint, label, height = 200 }: { option: ChartOption; onPoint?: (index: number) => void; label: string; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts | null>(null);
  const click = useRef(onPoint);
  useEffect(() => {
    click.current = onPoint;
  }, [onPoint]);

  useEffect(() => {
    const c = init(box.current!, undefined, { renderer: 'svg' });
    chart.current = c;
    c.on('click', (e) => {
      if (typeof e.dataIndex === 'number') click.current?.(e.dataIndex);
    });
    const resize = new ResizeObserver(() => c.resize());
    resize.observe(box.current!);
    return () => {
      resize.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);

  return <div ref={box} role="img" aria-label={label} className="metric-chart" style={{ height }} />;
}
