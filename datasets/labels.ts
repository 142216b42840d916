/**
 * EEMBC truth files: `file,classes,class[,window_bytes,stride_bytes]` per line,
 * no header. Pure parsing with errors that name the file and line.
 */
import { DatasetError } from '../host/errors.js';

export interface LabelRow {
  /** 1-based line in the labels file. */
  line: number;
  file: string;
  classes: number;
  label: number;
  windowBytes?: number;
  strideBytes?: number;
}

const INTEGER = /^\d+$/;

export function parseLabels(text: string, source: string): LabelRow[] {
  const rows: LabelRow[] = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = index + 1;
    const content = raw.replace(/\r$/, '').trim();
    if (!content) return;
    const where = `${source}:${line}`;
    const fields = content.split(',').map((f) => f.trim());
    if (fields.length !== 3 && fields.length !== 5) {
      throw new DatasetError(
        `${where}: expected 'file,classes,class' or 'file,classes,class,window_bytes,stride_bytes', got ${fields.length} fields: ${JSON.stringify(content)}`,
      );
    }
    const [file, classesText, labelText, windowText, strideText] = fields as [string, string, string, string?, string?];
    if (!file) throw new DatasetError(`${where}: empty file name`);
    for (const [name, value] of [
      ['classes', classesText],
      ['class', labelText],
      ['window_bytes', windowText],
      ['stride_bytes', strideText],
    ] as const) {
      if (value !== undefined && !INTEGER.test(value)) {
        throw new DatasetError(
          `${where}: ${name} must be a non-negative integer, got ${JSON.stringify(value)}${line === 1 ? ' (labels files have no header line)' : ''}`,
        );
      }
    }
    const classes = Number(classesText);
    const label = Number(labelText);
    if (classes < 1) throw new DatasetError(`${where}: classes must be at least 1, got ${classes}`);
    if (label >= classes) throw new DatasetError(`${where}: class ${label} is out of range for ${classes} classes (0..${classes - 1})`);
    const previous = seen.get(file);
    if (previous !== undefined) throw new DatasetError(`${where}: ${file} is already listed on line ${previous}`);
    seen.set(file, line);
    const row: LabelRow = { line, file, classes, label };
    if (windowText !== undefined && strideText !== undefined) {
      row.windowBytes = Number(windowText);
      row.strideBytes = Number(strideText);
      if (row.windowBytes <= 0 || row.strideBytes <= 0) throw new DatasetError(`${where}: window_bytes and stride_bytes must be positive`);
    }
    rows.push(row);
  });
  if (rows.length === 0) throw new DatasetError(`${source}: no samples listed (empty labels file)`);
  return rows;
}
