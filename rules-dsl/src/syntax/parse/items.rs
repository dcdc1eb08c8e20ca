//! Declarations: policy and catalogue items, facts and types, parameters,
//! tables, materials and steps.

use super::expressions::compare_op;
use super::{Builder, Inner, P, Rule};
use crate::syntax::ast::*;

impl Builder<'_> {
    pub(super) fn item(&mut self, pair: P<'_>) -> Option<Item> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let whole = pair.clone();
        let mut inner = Inner::new(pair);
        let kind = match rule {
            Rule::policy_decl => {
                inner.skip(Rule::kw_policy);
                let id = self.name(inner.take()?);
                let title = self.text(inner.take()?);
                ItemKind::Policy { id, title }
            }
            Rule::bundle_decl => {
                inner.skip(Rule::kw_bundle);
                let id = self.name(inner.take()?);
                let title = self.text(inner.take()?);
                ItemKind::Bundle { id, title }
            }
            Rule::department_decl => {
                inner.skip(Rule::kw_department);
                let id = self.name(inner.take()?);
                let name = inner.take_if(Rule::string).map(|p| self.text(p));
                ItemKind::Department { id, name }
            }
            Rule::dataset_decl => {
                inner.skip(Rule::kw_dataset);
                let id = self.name(inner.take()?);
                let name = self.text(inner.take()?);
                inner.skip(Rule::kw_by);
                let department = self.name(inner.take()?);
                ItemKind::Dataset {
                    id,
                    name,
                    department,
                }
            }
            Rule::material_decl => {
                inner.skip(Rule::kw_material);
                let id = self.name(inner.take()?);
                let name = inner.take_if(Rule::string).map(|p| self.text(p));
                let mut clauses = Vec::new();
                for clause in inner.rest() {
                    if let Some(clause) = self.material_clause(clause) {
                        clauses.push(clause);
                    }
                }
                ItemKind::Material(MaterialDecl { id, name, clauses })
            }
            Rule::basis_decl => {
                inner.skip(Rule::kw_basis);
                ItemKind::Basis(self.text(inner.take()?))
            }
            Rule::version_decl => {
                inner.skip(Rule::kw_version);
                let number = inner.take()?;
                let span = self.span(&number);
                ItemKind::Version {
                    value: self.int(&number)?,
                    span,
                }
            }
            Rule::effective_decl => {
                inner.skip(Rule::kw_effective);
                inner.skip(Rule::kw_from);
                let from = self.date(inner.take()?)?;
                let until = if inner.skip(Rule::kw_until) {
                    Some(self.date(inner.take()?)?)
                } else {
                    None
                };
                ItemKind::Effective { from, until }
            }
            Rule::facts_decl => {
                inner.skip(Rule::kw_facts);
                let mut facts = Vec::new();
                for fact in inner.rest() {
                    let fact = if fact.as_rule() == Rule::fact_use {
                        self.fact_use(fact)
                    } else {
                        self.fact(fact)
                    };
                    if let Some(fact) = fact {
                        facts.push(fact);
                    }
                }
                ItemKind::Facts(facts)
            }
            // Read like a fact: `fact` skips the keyword.
            Rule::element_decl => ItemKind::Element(self.fact(whole)?),
            Rule::use_decl => {
                inner.skip(Rule::kw_use);
                inner.skip(Rule::kw_param);
                ItemKind::UseParams(inner.rest().map(|p| self.name(p)).collect())
            }
            Rule::param_decl => ItemKind::Param(self.param(inner)?),
            Rule::let_decl => {
                inner.skip(Rule::kw_let);
                let name = self.name(inner.take()?);
                let title = inner.take_if(Rule::string).map(|p| self.text(p));
                let value = self.expr(inner.take()?, 0);
                ItemKind::Let(LetDecl { name, title, value })
            }
            Rule::rule_decl => {
                inner.skip(Rule::kw_rule);
                let name = self.name(inner.take()?);
                let title = self.text(inner.take()?);
                let cite = inner.take_if(Rule::cite).and_then(|p| self.cite(p));
                inner.skip(Rule::colon);
                let body = self.expr(inner.take()?, 0);
                ItemKind::Rule(RuleDecl {
                    name,
                    title,
                    cite,
                    body,
                })
            }
            Rule::exception_decl => {
                inner.skip(Rule::kw_exception);
                let name = self.name(inner.take()?);
                let title = self.text(inner.take()?);
                let cite = inner.take_if(Rule::cite).and_then(|p| self.cite(p));
                inner.skip(Rule::kw_overrides);
                let target = self.name(inner.take()?);
                inner.skip(Rule::kw_to);
                let value = inner.take()?.as_str() == "true";
                inner.skip(Rule::kw_when);
                let condition = self.expr(inner.take()?, 0);
                ItemKind::Exception(ExceptionDecl {
                    name,
                    title,
                    cite,
                    target,
                    value,
                    condition,
                })
            }
            Rule::eligible_decl => {
                inner.skip(Rule::kw_eligible);
                inner.skip(Rule::kw_when);
                ItemKind::Eligible(self.expr(inner.take()?, 0))
            }
            Rule::table_decl => ItemKind::Table(self.table(inner)?),
            Rule::step_decl => ItemKind::Step(self.step(inner)?),
            Rule::member_decl => {
                inner.skip(Rule::kw_member);
                ItemKind::Member(self.name(inner.take()?))
            }
            Rule::entry_decl => {
                inner.skip(Rule::kw_entry);
                inner.skip(Rule::kw_when);
                ItemKind::Entry(self.expr(inner.take()?, 0))
            }
            Rule::link_decl => {
                inner.skip(Rule::kw_link);
                let material = self.name(inner.take()?);
                inner.skip(Rule::kw_from);
                let from = self.name(inner.take()?);
                inner.skip(Rule::kw_to);
                let to = self.name(inner.take()?);
                ItemKind::Link { material, from, to }
            }
            Rule::calendar_decl => {
                inner.skip(Rule::kw_calendar);
                let year_pair = inner.take()?;
                let year_span = self.span(&year_pair);
                let year = year_pair.as_str().parse().unwrap_or(0);
                let notice = self.text(inner.take()?);
                let mut entries = Vec::new();
                for entry in inner.rest() {
                    let span = self.span(&entry);
                    let mut parts = Inner::new(entry);
                    let holiday = parts.take()?.as_str() == "holiday";
                    let from = self.date(parts.take()?)?;
                    let until = match parts.take_if(Rule::date_lit) {
                        Some(pair) => Some(self.date(pair)?),
                        None => None,
                    };
                    let note = parts.take_if(Rule::string).map(|p| self.text(p));
                    entries.push(CalendarEntry {
                        holiday,
                        from,
                        until,
                        note,
                        span,
                    });
                }
                ItemKind::Calendar(CalendarDecl {
                    year,
                    year_span,
                    notice,
                    entries,
                })
            }
            _ => return None,
        };
        Some(Item { kind, span })
    }

    /// What follows `when` on a material or step: `always` or a condition.
    fn when(&mut self, pair: P<'_>) -> When {
        match pair.as_rule() {
            Rule::when_always => When::Always(self.span(&pair)),
            _ => When::Condition(self.expr(pair, 0)),
        }
    }

    fn cite(&mut self, pair: P<'_>) -> Option<Text> {
        let mut inner = Inner::new(pair);
        inner.skip(Rule::kw_cite);
        Some(self.text(inner.take()?))
    }

    fn material_clause(&mut self, pair: P<'_>) -> Option<MaterialClause> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = Inner::new(pair);
        Some(match rule {
            Rule::material_when => {
                inner.skip(Rule::kw_when);
                MaterialClause::When {
                    when: self.when(inner.take()?),
                    span,
                }
            }
            Rule::material_form => {
                inner.skip(Rule::kw_form);
                let form = match inner.take()?.as_str() {
                    "original" => Form::Original,
                    "copy" => Form::Copy,
                    _ => Form::Electronic,
                };
                MaterialClause::Form { form, span }
            }
            Rule::material_copies => {
                inner.skip(Rule::kw_copies);
                let copies = self.int(&inner.take()?)?;
                MaterialClause::Copies { copies, span }
            }
            Rule::material_issuer => {
                inner.skip(Rule::kw_issued);
                inner.skip(Rule::kw_by);
                MaterialClause::IssuedBy {
                    department: self.name(inner.take()?),
                    span,
                }
            }
            Rule::material_source => {
                inner.skip(Rule::kw_source);
                let source_pair = inner.take()?;
                let source = match source_pair.as_rule() {
                    Rule::source_shared => {
                        let mut shared = Inner::new(source_pair);
                        let dataset = self.name(shared.take()?);
                        let fallback = if shared.skip(Rule::kw_else) {
                            match shared.take()?.as_str() {
                                "commitment" => Fallback::Commitment,
                                _ => Fallback::Applicant,
                            }
                        } else {
                            Fallback::Applicant
                        };
                        Source::Shared { dataset, fallback }
                    }
                    _ => match source_pair.as_str() {
                        "commitment" => Source::Commitment,
                        _ => Source::Applicant,
                    },
                };
                MaterialClause::Source { source, span }
            }
            _ => return None,
        })
    }

    /// `use applicant.birth_date?`: a fact whose type, title and source the
    /// catalogue's data element gives.
    fn fact_use(&mut self, pair: P<'_>) -> Option<FactDecl> {
        let span = self.span(&pair);
        let mut inner = Inner::new(pair);
        inner.skip(Rule::kw_use_element);
        let name = self.name(inner.take()?);
        let optional = inner.take_if(Rule::optional).is_some();
        Some(FactDecl {
            name,
            ty: TypeExpr::Element { optional, span },
            title: None,
            source: None,
            span,
        })
    }

    /// A fact's declaration; also a catalogue data element's, after
    /// `element` (`skip_keyword`).
    fn fact(&mut self, pair: P<'_>) -> Option<FactDecl> {
        let span = self.span(&pair);
        let mut inner = Inner::new(pair);
        inner.skip(Rule::kw_element);
        let name = self.name(inner.take()?);
        let ty = self.type_expr(inner.take()?)?;
        let title = inner.take_if(Rule::string).map(|p| self.text(p));
        let source = match inner.take_if(Rule::fact_source) {
            Some(pair) => {
                let mut parts = Inner::new(pair);
                parts.skip(Rule::kw_from);
                let which = parts.take()?;
                Some(match which.as_rule() {
                    Rule::fact_source_shared => {
                        let dataset = which.into_inner().next()?;
                        FactSource::Shared(self.name(dataset))
                    }
                    _ if which.as_str() == "department" => FactSource::Department,
                    _ => FactSource::Applicant,
                })
            }
            None => None,
        };
        Some(FactDecl {
            name,
            ty,
            title,
            source,
            span,
        })
    }

    fn type_expr(&mut self, pair: P<'_>) -> Option<TypeExpr> {
        let span = self.span(&pair);
        let mut inner = Inner::new(pair);
        let first = inner.take()?;
        Some(match first.as_rule() {
            Rule::list_type => {
                let mut list = Inner::new(first);
                list.skip(Rule::kw_list);
                list.skip(Rule::kw_of);
                let mut fields = Vec::new();
                for field in list.rest() {
                    let field_span = self.span(&field);
                    let mut parts = Inner::new(field);
                    let name = self.name(parts.take()?);
                    let ty = self.scalar_type(parts.take()?)?;
                    let optional = parts.take_if(Rule::optional).is_some();
                    let range = parts
                        .take_if(Rule::value_range)
                        .and_then(|p| self.value_range(p));
                    let title = parts.take_if(Rule::string).map(|p| self.text(p));
                    fields.push(FieldDecl {
                        name,
                        ty,
                        optional,
                        range,
                        title,
                        span: field_span,
                    });
                }
                TypeExpr::List { fields, span }
            }
            Rule::set_type => {
                let mut set = Inner::new(first);
                set.skip(Rule::kw_set);
                set.skip(Rule::kw_of);
                let element = self.base_type(&set.take()?)?;
                TypeExpr::Set { element, span }
            }
            _ => {
                let ty = self.scalar_type(first)?;
                let optional = inner.take_if(Rule::optional).is_some();
                let range = inner
                    .take_if(Rule::value_range)
                    .and_then(|p| self.value_range(p));
                TypeExpr::Scalar {
                    ty,
                    optional,
                    range,
                    span,
                }
            }
        })
    }

    /// `1..4`, `>= 0.00`, `<= 100`.
    fn value_range(&mut self, pair: P<'_>) -> Option<ValueRange> {
        let span = self.span(&pair);
        let which = pair.into_inner().next()?;
        let rule = which.as_rule();
        let mut bounds = which.into_inner();
        let first = self.literal(bounds.next()?)?;
        let (min, max) = match rule {
            Rule::range_between => (Some(first), Some(self.literal(bounds.next()?)?)),
            Rule::range_at_least => (Some(first), None),
            _ => (None, Some(first)),
        };
        Some(ValueRange { min, max, span })
    }

    fn scalar_type(&mut self, pair: P<'_>) -> Option<ScalarType> {
        let inner = pair.into_inner().next()?;
        Some(match inner.as_rule() {
            Rule::enum_type => ScalarType::Enum(
                inner
                    .into_inner()
                    .filter_map(|value| {
                        let mut parts = Inner::new(value);
                        let name = self.name(parts.take()?);
                        let title = parts.take_if(Rule::string).map(|p| self.text(p));
                        Some(EnumValueDecl { name, title })
                    })
                    .collect(),
            ),
            _ => ScalarType::Base(self.base_type(&inner)?),
        })
    }

    fn param(&mut self, mut inner: Inner<'_>) -> Option<ParamDecl> {
        inner.skip(Rule::kw_param);
        let name = self.name(inner.take()?);
        let key = inner.take_if(Rule::param_key).and_then(|pair| {
            let span = self.span(&pair);
            let types = pair
                .into_inner()
                .map(|p| self.base_type(&p))
                .collect::<Option<Vec<_>>>()?;
            Some(ParamKey { types, span })
        });
        let ty = self.base_type(&inner.take()?)?;
        let title = inner.take_if(Rule::string).map(|p| self.text(p));
        let mut entries = Vec::new();
        for entry in inner.rest() {
            let span = self.span(&entry);
            let mut parts = Inner::new(entry);
            let mut keys = Vec::new();
            while let Some(key) = parts.take_if(Rule::literal) {
                if let Some(key) = self.literal(key) {
                    keys.push(key);
                }
            }
            parts.skip(Rule::kw_from);
            let Some(from) = parts.take().and_then(|p| self.date(p)) else {
                continue;
            };
            let Some(value) = parts.take().and_then(|p| self.literal(p)) else {
                continue;
            };
            entries.push(ParamEntry {
                keys,
                from,
                value,
                span,
            });
        }
        Some(ParamDecl {
            name,
            key,
            ty,
            title,
            entries,
        })
    }

    fn table(&mut self, mut inner: Inner<'_>) -> Option<TableDecl> {
        inner.skip(Rule::kw_table);
        let name = self.name(inner.take()?);
        let title = inner.take_if(Rule::string).map(|p| self.text(p));
        let ty_pair = inner.take()?;
        let ty_span = self.span(&ty_pair);
        let ty = self.base_type(&ty_pair)?;
        inner.skip(Rule::kw_hit);
        let hit_pair = inner.take()?;
        let hit_span = self.span(&hit_pair);
        let hit_kind = hit_pair.into_inner().next()?;
        let hit = match hit_kind.as_rule() {
            Rule::hit_unique => HitPolicy::Unique,
            Rule::hit_first => HitPolicy::First,
            Rule::hit_priority => HitPolicy::Priority,
            _ => HitPolicy::Collect(hit_kind.into_inner().next().map(|op| match op.as_str() {
                "sum" => CollectOp::Sum,
                "count" => CollectOp::Count,
                "min" => CollectOp::Min,
                _ => CollectOp::Max,
            })),
        };
        let mut inputs_part = Inner::new(inner.take()?);
        inputs_part.skip(Rule::kw_inputs);
        let inputs = inputs_part.rest().map(|p| self.expr(p, 0)).collect();
        let order = match inner.take_if(Rule::table_order) {
            Some(order) => {
                let span = self.span(&order);
                let mut values = Vec::new();
                for value in Inner::new(order)
                    .rest()
                    .filter(|p| p.as_rule() == Rule::value)
                {
                    values.push(self.value(value)?);
                }
                Some(TableOrder { values, span })
            }
            None => None,
        };
        let mut rows = Vec::new();
        let mut default = None;
        for part in inner.rest() {
            match part.as_rule() {
                Rule::table_row => {
                    let span = self.span(&part);
                    let mut cells = Vec::new();
                    let mut output = None;
                    for piece in part.into_inner() {
                        match piece.as_rule() {
                            Rule::cell => cells.push(self.cell(piece)?),
                            Rule::value => output = Some(self.value(piece)?),
                            _ => {}
                        }
                    }
                    rows.push(TableRow {
                        cells,
                        output: output?,
                        span,
                    });
                }
                Rule::table_default => {
                    let value = part.into_inner().find(|p| p.as_rule() == Rule::value)?;
                    default = Some(self.value(value)?);
                }
                _ => {}
            }
        }
        Some(TableDecl {
            name,
            title,
            ty,
            ty_span,
            hit,
            hit_span,
            inputs,
            order,
            rows,
            default,
        })
    }

    fn cell(&mut self, pair: P<'_>) -> Option<Cell> {
        let span = self.span(&pair);
        let inner = pair.into_inner().next()?;
        let kind = match inner.as_rule() {
            Rule::cell_any => CellKind::Any,
            Rule::cell_range => {
                let mut parts = inner.into_inner();
                let low = self.literal(parts.next()?)?;
                let high = self.literal(parts.next()?)?;
                CellKind::Range(low, high)
            }
            Rule::cell_compare => {
                let mut parts = inner.into_inner();
                let op = compare_op(parts.next()?.as_str());
                CellKind::Compare(op, self.value(parts.next()?)?)
            }
            Rule::cell_set => {
                let mut values = Vec::new();
                for value in inner.into_inner() {
                    values.push(self.value(value)?);
                }
                CellKind::OneOf(values)
            }
            _ => CellKind::Equals(self.value(inner)?),
        };
        Some(Cell { kind, span })
    }

    fn value(&mut self, pair: P<'_>) -> Option<Value> {
        let inner = pair.into_inner().next()?;
        Some(match inner.as_rule() {
            Rule::name => Value::Variant(self.name(inner)),
            _ => Value::Literal(self.literal(inner)?),
        })
    }

    fn step(&mut self, mut inner: Inner<'_>) -> Option<StepDecl> {
        inner.skip(Rule::kw_step);
        let name = self.name(inner.take()?);
        let title = self.text(inner.take()?);
        inner.skip(Rule::kw_by);
        let department = self.name(inner.take()?);
        let after = match inner.take_if(Rule::step_after) {
            Some(after) => Inner::new(after)
                .rest()
                .filter(|p| p.as_rule() == Rule::name)
                .map(|p| self.name(p))
                .collect(),
            None => Vec::new(),
        };
        inner.skip(Rule::kw_within);
        let days_pair = inner.take()?;
        let days_span = self.span(&days_pair);
        let days = self.int(&days_pair)?;
        let day_kind = inner.take()?;
        let working_days = day_kind.into_inner().any(|p| p.as_rule() == Rule::working);
        let produces = inner
            .take_if(Rule::step_produces)
            .and_then(|p| p.into_inner().nth(1))
            .map(|p| self.name(p));
        let condition = match inner.take_if(Rule::step_when) {
            Some(when) => Some(self.when(when.into_inner().nth(1)?)),
            None => None,
        };
        Some(StepDecl {
            name,
            title,
            department,
            after,
            days,
            days_span,
            working_days,
            produces,
            condition,
        })
    }
}
