// The column definition of the DDL bodies (upstream SDK shape, docs/types.md "Changing the
// schema from the API"): `{name, type, nullable?, primaryKey?, defaultValue?}`, unknown
// fields refused so a typo is not silently ignored. The schema fixes the shape; the name,
// type and default are checked after it by identifier(), columnType() (which needs the
// schema snapshot) and columnDefault().
import { z } from 'zod';

const checkedLater = () => z.unknown().optional();

/** A column of POST /ddl/tables `columns`. */
export const TableColumn = z.strictObject({
  name: checkedLater(),
  type: checkedLater(),
  nullable: z.boolean().optional(),
  primaryKey: z.boolean().optional(),
  defaultValue: checkedLater(),
});

/** The body of POST /tables/:schema/:table/columns (a new column cannot be a primary key). */
export const NewColumnBody = TableColumn.omit({ primaryKey: true });
