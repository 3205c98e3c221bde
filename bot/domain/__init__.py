"""The business itself: accounts, money, plans, arrangements, the creditor's policy, cases, consent."""
