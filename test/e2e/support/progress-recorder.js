// Added to every page of the import journey before the page's own scripts (addInitScript):
// on a progress page, it reports the bar, the status line, the heading and the run's state
// to the test (the exposed __recordProgress) at once and at every change, so a step that
// lasts only a moment is seen too. It changes nothing on the page.
document.addEventListener('DOMContentLoaded', () => {
  const section = document.getElementById('import')
  const bar = document.getElementById('import-progress')
  const status = document.getElementById('import-status')
  const heading = document.getElementById('import-heading')
  if (!section || !bar || !status || !heading || typeof window.__recordProgress !== 'function') {
    return
  }
  const report = () =>
    window.__recordProgress({
      document: performance.timeOrigin,
      state: section.dataset.state,
      value: bar.hasAttribute('value') ? bar.value : null,
      max: bar.max,
      status: status.textContent ?? '',
      heading: heading.textContent ?? '',
      title: document.title,
      at: Date.now(),
    })
  report()
  new MutationObserver(report).observe(section, {
    attributes: true,
    subtree: true,
    childList: true,
    characterData: true,
  })
})
