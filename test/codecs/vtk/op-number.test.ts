/**
 * VTK operation numbers (VTK 1.12 3.1: tag 0x03, 8 decimal digits; 3.3: incremented before each VRP):
 * the number after 99 999 999, and order across the wrap.
 */
import t from 'tap';
import { compareOpNumbers, MAX_OP_NUMBER, newestOpNumber, nextOpNumber } from '../../../src/codecs/vtk/op-number.js';

t.test('the next number: +1, and 1 after 99 999 999 (8 digits, 3.1)', async (t) => {
  t.equal(nextOpNumber(0), 1);
  t.equal(nextOpNumber(41), 42);
  t.equal(nextOpNumber(99_999_998), 99_999_999);
  t.equal(nextOpNumber(MAX_OP_NUMBER), 1);
  t.equal(String(nextOpNumber(99_999_998)).length, 8);
});

t.test('order across the wrap: 1 is newer than 99 999 999; 0 is older than everything', async (t) => {
  t.ok(compareOpNumbers(1, 99_999_999) > 0);
  t.ok(compareOpNumbers(99_999_999, 1) < 0);
  t.ok(compareOpNumbers(5, 3) > 0);
  t.ok(compareOpNumbers(3, 5) < 0);
  t.equal(compareOpNumbers(7, 7), 0);
  t.ok(compareOpNumbers(0, 99_999_999) < 0);
  t.ok(compareOpNumbers(1, 0) > 0);
  t.equal(newestOpNumber([99_999_998, 2, 99_999_999, 1]), 2);
  t.equal(newestOpNumber([0, 0]), 0);
  t.equal(newestOpNumber([3, 10, 7]), 10);
});
