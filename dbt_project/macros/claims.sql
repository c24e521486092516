{#- Effect of a claim movement m on the recourse / special ledger, given the claim's running
    balances r before it (used by int_claim_movements' recursive CTE). -#}
{% macro claim_recourse_delta(m, r) -%}
    (case
        when {{ m }}.movement_type in ('SUBROGATE', 'OPENING_RECOURSE') then {{ m }}.amount_krw
        when {{ m }}.movement_type = 'WRITE_OFF' then -{{ m }}.amount_krw
        when {{ m }}.movement_type = 'RECOVERY' and {{ r }}.recourse_balance_krw > 0 then -{{ m }}.amount_krw
        else 0
    end)::bigint
{%- endmacro %}

{% macro claim_special_delta(m, r) -%}
    (case
        when {{ m }}.movement_type in ('OPENING_SPECIAL', 'WRITE_OFF') then {{ m }}.amount_krw
        when {{ m }}.movement_type in ('EXTINGUISH', 'SALE', 'WAIVER') then -{{ m }}.amount_krw
        when {{ m }}.movement_type = 'RECOVERY' and {{ r }}.recourse_balance_krw <= 0 then -{{ m }}.amount_krw
        else 0
    end)::bigint
{%- endmacro %}
