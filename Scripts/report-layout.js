// Checks a Headroom report's layout in a real browser, from the page's boxes, not pixels.
// Scripts/report-layout.sh appends this to a copy of report.html and prints what it writes:
// one JSON object with the counts checked and every problem found.
(function () {
  const problems = [];
  let charts = 0, keys = 0, marks = 0;
  const tol = 0.5;
  const overlap = (a, b) => a.left < b.right - tol && b.left < a.right - tol && a.top < b.bottom - tol && b.top < a.bottom - tol;
  for (const chart of document.querySelectorAll('.chart')) {
    charts++;
    const title = (chart.querySelector('.chart-title') || {}).textContent || '(untitled chart)';
    const plot = chart.querySelector('svg rect.plot');
    if (!plot) { if (!chart.querySelector('svg text')) problems.push(title + ': no plot area'); continue; }
    const plotBox = plot.getBoundingClientRect(), chartBox = chart.getBoundingClientRect();
    const legend = [...chart.querySelectorAll('.legend .key')].map(k => [k.textContent, k.getBoundingClientRect()]);
    legend.forEach(([name, box], i) => {
      keys++;
      if (box.width < 1 || box.height < 1) problems.push(`${title}: legend key "${name}" is not shown`);
      if (overlap(box, plotBox)) problems.push(`${title}: legend key "${name}" overlaps the plot area`);
      if (box.left < chartBox.left - tol || box.right > chartBox.right + tol) problems.push(`${title}: legend key "${name}" runs outside its chart`);
      for (let j = 0; j < i; j++) if (overlap(box, legend[j][1])) problems.push(`${title}: legend keys "${legend[j][0]}" and "${name}" overlap`);
    });
    // Every line and dot lies inside the plot area (in the SVG's own units), up to a dot's radius.
    const x0 = +plot.getAttribute('x'), y0 = +plot.getAttribute('y');
    const x1 = x0 + +plot.getAttribute('width'), y1 = y0 + +plot.getAttribute('height');
    for (const m of chart.querySelectorAll('svg path, svg circle, svg rect:not(.plot)')) {
      marks++;
      const b = m.getBBox(), slack = m.tagName === 'path' ? tol : 6;
      if (b.x < x0 - slack || b.y < y0 - slack || b.x + b.width > x1 + slack || b.y + b.height > y1 + slack)
        problems.push(`${title}: a ${m.tagName} (${m.getAttribute('class') || 'unclassed'}) reaches outside the plot area`);
    }
  }
  // Each plan's style (colour and dash or marker) is its own, and the plan filter's labels
  // (the shared legend when there are many plans) do not overlap.
  const styles = new Map();
  const labels = [...document.querySelectorAll('input.show + label')];
  labels.forEach((label, i) => {
    const box = label.getBoundingClientRect();
    if (box.width < 1 || box.height < 1) problems.push(`the filter's label "${label.textContent}" is not shown`);
    for (let j = 0; j < i; j++) if (overlap(box, labels[j].getBoundingClientRect())) problems.push(`the filter's labels "${labels[j].textContent}" and "${label.textContent}" overlap`);
  });
  for (const label of labels) {
    const sw = label.querySelector('i');
    const key = sw ? sw.getAttribute('style') : '';
    if (styles.has(key)) problems.push(`plans "${styles.get(key)}" and "${label.textContent}" are drawn alike`);
    styles.set(key, label.textContent);
  }
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth + 1) problems.push(`the page is ${root.scrollWidth} px wide in a ${window.innerWidth} px window`);
  const result = document.createElement('pre');
  result.id = 'layout-result';
  result.textContent = JSON.stringify({ width: window.innerWidth, charts, keys, marks, plans: styles.size, problems });
  document.body.appendChild(result);
})();
