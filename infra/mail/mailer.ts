import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config/config';

/** The SMTP transport alerts go through (SMTP_URL may carry `?pool=true` and credentials). */
export function createMailer(config: Config['alerts']): Transporter {
  return nodemailer.createTransport(config.smtpUrl);
}
