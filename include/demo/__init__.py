"""The demo landing area: nightly deliveries that reproduce the foundation's 2019–2020 figures
(and, with `--years`, years of history before them, for national-scale benchmarks).

Entry point `include.demo.generator` (`generate_landing`, the command line). Each module imports
only modules listed above it:

    errors        GenerationError
    business_calendar  business days, holidays, month arithmetic
    plan          the report's figures per period, amount shapes, the book at cut-over
    fund          the fund's plan: opening state, contributions, losses
    choices       who issues what: branch, bank, program, pricing, terms
    amounts       splitting totals exactly
    customers     names, 사업자등록번호 with check digit, the customer book
    ledger        guarantee and claim ledgers: state and rules
    books         ledger, customers, ids and the rows of the day, one method per event
    writer        CSV bytes, file encodings, a delivery folder with its manifest last
    cutover       the cut-over delivery
    roster        the staff roster
    periods       plan periods: scheduled events, targets, planned claim work
    events        carrying out the planned guarantee events
    business_day  a business day
    generator     generate_landing and the command line
"""
