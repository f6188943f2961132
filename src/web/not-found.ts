import type { NextFunction, Request, Response } from 'express'
import { AppError, ErrorCode } from '../errors.ts'

export function notFound(_req: Request, _res: Response, next: NextFunction) {
  next(new AppError(ErrorCode.NOT_FOUND, 'There is nothing at this address.', { status: 404 }))
}
