// Where the demo's own pages and styles are, independent of the working directory.
import { join } from 'node:path'

export const DEMO_VIEWS_DIR = join(import.meta.dirname, 'views')
export const DEMO_PUBLIC_DIR = join(import.meta.dirname, 'public')
