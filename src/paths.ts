// Where the app's files are, independent of the working directory.
import { join } from 'node:path'

export const ROOT_DIR = join(import.meta.dirname, '..')
export const VIEWS_DIR = join(ROOT_DIR, 'views')
export const PUBLIC_DIR = join(ROOT_DIR, 'public')
