/** An SVG bar chart of the headline ratios, on a log scale (no dependency: it is a few rectangles). */

export function chartSvg(items: Array<{ label: string; ratio: number }>, title: string): string {
  const rowH = 34
  const labelW = 360
  const barW = 420
  const top = 48
  const height = top + items.length * rowH + 40
  const max = Math.max(10, ...items.map((i) => i.ratio))
  const scale = (r: number) => (Math.log10(Math.max(r, 0.1)) - Math.log10(0.1)) / (Math.log10(max) - Math.log10(0.1))
  const x1 = labelW + scale(1) * barW
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  const rows = items
    .map((item, i) => {
      const y = top + i * rowH
      const x = labelW + scale(item.ratio) * barW
      const [from, to] = x >= x1 ? [x1, x] : [x, x1]
      const color = item.ratio >= 1 ? '#2f855a' : '#c05621'
      return [
        `<text x="${labelW - 10}" y="${y + 21}" text-anchor="end">${esc(item.label)}</text>`,
        `<rect x="${from.toFixed(1)}" y="${y + 6}" width="${Math.max(1, to - from).toFixed(1)}" height="${rowH - 12}" fill="${color}"/>`,
        `<text x="${(Math.max(x, x1) + 6).toFixed(1)}" y="${y + 21}">${item.ratio >= 100 ? item.ratio.toFixed(0) : item.ratio.toFixed(2)}×</text>`,
      ].join('')
    })
    .join('\n  ')
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + barW + 90}" height="${height}" font-family="sans-serif" font-size="13">
  <rect width="100%" height="100%" fill="white"/>
  <text x="12" y="26" font-size="16" font-weight="bold">${esc(title)}</text>
  <line x1="${x1.toFixed(1)}" y1="${top - 4}" x2="${x1.toFixed(1)}" y2="${top + items.length * rowH}" stroke="#555" stroke-dasharray="3,3"/>
  <text x="${x1.toFixed(1)}" y="${top + items.length * rowH + 18}" text-anchor="middle" fill="#555">1× = same as the peer (log scale; right is better)</text>
  ${rows}
</svg>
`
}
