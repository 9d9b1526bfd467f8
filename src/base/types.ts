/** Values of the payment domain (contract sections 1-3). Money is always an integer number of kopecks. */

export interface OrderItem {
  id: string;
  name: string;
  /** xs:decimal kept as its canonical lexical form, so weighed goods (0.375) are reported exactly. */
  count: string;
  /** Unit price, kopecks, >= 0 (the contract: element `cost`). */
  cost: number;
}

export type PayType = 0 | 1;

/** Result codes of Pay (contract 1). */
export const PayResult = { Accepted: 0, Invalid: -1, Busy: -2, Duplicate: -3 } as const;
export type PayResult = (typeof PayResult)[keyof typeof PayResult];

/** Result codes of PayPoll (contract 1). */
export const PollResult = { Invalid: -1, NotFound: -4, Paid: 0, InProgress: 1, Cancelled: 2 } as const;
export type PollResult = (typeof PollResult)[keyof typeof PollResult];

/** The Register report, field for field and in the contract's order (contract 3). */
export interface Report {
  terminal_id: string;
  uid: string;
  amount: number;
  pay_amount: number;
  charge_amount: number;
  rest_amount: number;
  pay_type: PayType;
  order: OrderItem[];
  time: number;
}
