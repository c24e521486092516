-- 대출은행 차원
select code as bank_code, name_ko, name_en
from {{ ref('ref_banks') }}
