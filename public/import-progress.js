// The progress page's live updates: one EventSource on /imports/:id/events (the events of
// the run, from whichever instance runs it). Each snapshot moves the bar, the status line
// and the counts; a finished run reloads the page, which then shows the summary. Without
// JavaScript the page reloads itself instead (its <noscript> refresh). Keep the wording in
// step with src/web/import-view.ts.
;(() => {
  const section = document.getElementById('import')
  const bar = document.getElementById('import-progress')
  const status = document.getElementById('import-status')
  const heading = document.getElementById('import-heading')
  if (!section || !bar || !status || typeof EventSource !== 'function') return
  const provider = section.dataset.provider || 'your provider'
  const number = (n) => n.toLocaleString('en-US')
  const processed = (run) =>
    run.counts.created + run.counts.updated + run.counts.unchanged + run.counts.skipped

  // The page's heading (and title) says the run's state, as src/web/import-view.ts does.
  const HEADINGS = {
    waiting: 'Import waiting to start',
    active: 'Importing your contacts',
    completed: 'Import complete',
    failed: 'Import failed',
  }

  function statusOf(run) {
    const done = processed(run)
    if (run.state === 'waiting') return `Waiting to start the import from ${provider}…`
    if (run.state === 'active') {
      if (run.pagesDone === 0) return `Reading your contacts from ${provider}…`
      return run.total !== null && run.kind !== 'incremental'
        ? `${number(Math.min(done, run.total))} of ${number(run.total)} contacts imported…`
        : `${number(done)} contacts read so far…`
    }
    if (run.state === 'completed') return 'Import complete.'
    return `The import failed: ${run.error ? run.error.message : 'unknown reason.'}`
  }

  function show(run) {
    if (run.state === 'active' && run.total !== null && run.kind !== 'incremental') {
      bar.max = Math.max(run.total, 1)
      bar.value = Math.min(processed(run), run.total)
    } else if (run.state === 'completed' || run.state === 'failed') {
      bar.max = 1
      bar.value = 1
    } else {
      bar.removeAttribute('value') // indeterminate until the provider says how many
    }
    const text = statusOf(run)
    if (status.textContent !== text) status.textContent = text
    const title = HEADINGS[run.state]
    if (heading && title && heading.textContent !== title) {
      const site = document.title.indexOf(' · ')
      heading.textContent = title
      document.title = site === -1 ? title : title + document.title.slice(site)
    }
    for (const cell of section.querySelectorAll('[data-count]')) {
      const value = run.counts[cell.dataset.count]
      if (typeof value === 'number') cell.textContent = number(value)
    }
    section.dataset.state = run.state
  }

  const source = new EventSource(section.dataset.events)
  source.addEventListener('progress', (event) => {
    let run
    try {
      run = JSON.parse(event.data)
    } catch {
      return
    }
    show(run)
    if (run.state === 'completed' || run.state === 'failed') {
      // The server ends the stream now; without close() the browser would reconnect.
      source.close()
      window.location.reload()
    }
  })
})()
