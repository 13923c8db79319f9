// The SQL script splitter: semicolons split statements only outside strings, quoted
// identifiers, dollar quotes and comments.
import { describe, expect, it } from 'vitest';
import { splitStatements } from './split.ts';

describe('splitStatements', () => {
  const cases: [string, string, string[]][] = [
    ['two statements', 'select 1; select 2', ['select 1', 'select 2']],
    ['trailing semicolon and blanks', '  select 1 ;\n\n ;  ', ['select 1']],
    ['semicolon in a string', "select 'a;b'; select 2", ["select 'a;b'", 'select 2']],
    ['doubled quote in a string', "select 'it''s;'; select 2", ["select 'it''s;'", 'select 2']],
    ['E-string with a backslash-escaped quote', "select E'a\\';b'; select 2", ["select E'a\\';b'", 'select 2']],
    ['semicolon in a quoted identifier', 'select 1 as "x;y"; select 2', ['select 1 as "x;y"', 'select 2']],
    ['dollar-quoted function body', 'create function f() returns int language sql as $$ select 1; $$; select f()', ['create function f() returns int language sql as $$ select 1; $$', 'select f()']],
    ['tagged dollar quote containing $$', 'do $body$ begin perform 1; raise notice $$;$$; end $body$; select 1', ['do $body$ begin perform 1; raise notice $$;$$; end $body$', 'select 1']],
    ['positional parameter is not a dollar quote', 'prepare p as select $1; select 2', ['prepare p as select $1', 'select 2']],
    ['line comment with a semicolon', 'select 1 -- a; b\n; select 2', ['select 1 -- a; b', 'select 2']],
    ['nested block comment', 'select /* a /* ; */ ; */ 1; select 2', ['select /* a /* ; */ ; */ 1', 'select 2']],
    ['comment-only pieces are dropped', '-- nothing;\n; /* x */ ; select 1', ['select 1']],
    ['empty script', '   ', []],
  ];
  it.each(cases)('%s', (_n, sql, expected) => expect(splitStatements(sql)).toEqual(expected));
});
