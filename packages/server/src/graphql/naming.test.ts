import { describe, expect, it } from 'vitest';
import { camel, pascal, singular, stripIdSuffix } from './naming.ts';
import { splitFilterKey } from './filters.ts';

describe('GraphQL names (API.md §13)', () => {
  it('PascalCases types and camelCases fields, keeping names GraphQL can hold', () => {
    expect(pascal('user_profiles')).toBe('UserProfiles');
    expect(pascal('posts')).toBe('Posts');
    expect(pascal('2fa-codes')).toBe('_2faCodes');
    expect(camel('created_at')).toBe('createdAt');
    expect(camel('createdAt')).toBe('createdAt');
    expect(camel('Name')).toBe('name');
    expect(camel('ünïcode col')).toBe('nCodeCol');
  });

  it('singularises list names, and leaves non-plurals alone', () => {
    expect(singular('posts')).toBe('post');
    expect(singular('categories')).toBe('category');
    expect(singular('status')).toBe('status');
    expect(singular('address')).toBe('address');
    expect(singular('data')).toBe('data');
  });

  it('strips the id suffix of a foreign key column', () => {
    expect(stripIdSuffix('author_id')).toBe('author');
    expect(stripIdSuffix('authorId')).toBe('author');
    expect(stripIdSuffix('id')).toBeUndefined();
  });

  it('splits filter keys on the longest operator suffix (contained_by is not "by")', () => {
    expect(splitFilterKey('tags_contained_by')).toEqual(['tags', 'contained_by']);
    expect(splitFilterKey('note_is_null')).toEqual(['note', 'is_null']);
    expect(splitFilterKey('min_in')).toEqual(['min', 'in']);
    expect(splitFilterKey('name_startswith')).toBeUndefined();
  });
});
