//! Expressions: operator precedence (a shunting yard), postfix `round`,
//! atoms and aggregates, with depth and chain length bounded as they are built.

use super::{Builder, P, Rule};
use crate::diagnostic::Span;
use crate::lang::Words;
use crate::syntax::ast::*;
use crate::syntax::{MAX_CHAIN_TERMS, MAX_EXPR_DEPTH, SyntaxError};
use crate::words;

impl Builder<'_> {
    /// The error node for `span`, a tree over the limit; `at` is the
    /// operator that crossed it, which the error underlines.
    fn too_deep(&mut self, span: Span, at: Span) -> Expr {
        if !self
            .errors
            .iter()
            .any(|e| matches!(e, SyntaxError::ExprTooDeep { .. }))
        {
            self.errors.push(SyntaxError::ExprTooDeep {
                limit: MAX_EXPR_DEPTH,
                span: at,
            });
        }
        Expr {
            kind: ExprKind::Error,
            span,
        }
    }

    /// Builds an expression; items call this for their top-level expressions.
    pub(super) fn expr(&mut self, pair: P<'_>, _depth: usize) -> Expr {
        self.expr_with_height(pair).0
    }

    /// The error node for a chain of more than [`MAX_CHAIN_TERMS`] terms;
    /// `at` is the operator that adds one too many.
    fn chain_too_long(&mut self, span: Span, at: Span) -> (Expr, usize) {
        if !self
            .errors
            .iter()
            .any(|e| matches!(e, SyntaxError::ChainTooLong { .. }))
        {
            self.errors.push(SyntaxError::ChainTooLong {
                limit: MAX_CHAIN_TERMS,
                span: at,
            });
        }
        (
            Expr {
                kind: ExprKind::Error,
                span,
            },
            1,
        )
    }

    /// Builds the expression `pair` and returns it with its height (the
    /// longest path to a leaf). Operators are applied with an explicit stack
    /// (shunting-yard), so a long chain never recurses; a tree taller than
    /// [`MAX_EXPR_DEPTH`] is cut off with an error, so later stages, which
    /// recurse, never exhaust the stack.
    fn expr_with_height(&mut self, pair: P<'_>) -> (Expr, usize) {
        let span = self.span(&pair);
        if pair.as_rule() != Rule::expr {
            return self.atom(pair, span);
        }
        let mut operands: Vec<(Expr, usize)> = Vec::new();
        let mut operators: Vec<(Op, Span)> = Vec::new();
        for part in pair.into_inner() {
            let part_span = self.span(&part);
            let rule = part.as_rule();
            match rule {
                Rule::not_op => operators.push((Op::Not, part_span)),
                Rule::neg_op => operators.push((Op::Neg, part_span)),
                Rule::kw_or
                | Rule::kw_and
                | Rule::compare_op
                | Rule::not_in
                | Rule::kw_in
                | Rule::add_op
                | Rule::mul_op => {
                    let op = match rule {
                        Rule::kw_or => Op::Or,
                        Rule::kw_and => Op::And,
                        Rule::compare_op => Op::Compare(compare_op(part.as_str())),
                        Rule::not_in => Op::In { negated: true },
                        Rule::kw_in => Op::In { negated: false },
                        Rule::add_op if part.as_str() == "+" => Op::Arith(ArithOp::Add),
                        Rule::add_op => Op::Arith(ArithOp::Sub),
                        _ if part.as_str() == "*" => Op::Arith(ArithOp::Mul),
                        _ => Op::Arith(ArithOp::Div),
                    };
                    self.reduce_while(&mut operands, &mut operators, op.precedence());
                    operators.push((op, part_span));
                }
                Rule::index | Rule::time_unit | Rule::rounding => {
                    let precedence = if rule == Rule::rounding {
                        Op::ROUND
                    } else {
                        Op::POSTFIX
                    };
                    self.reduce_while(&mut operands, &mut operators, precedence);
                    let Some((operand, height)) = operands.pop() else {
                        continue;
                    };
                    let built = self.postfix(operand, height, part, part_span);
                    operands.push(built);
                }
                _ => {
                    let atom = self.atom(part, part_span);
                    operands.push(atom);
                }
            }
        }
        self.reduce_while(&mut operands, &mut operators, 0);
        operands.pop().unwrap_or((
            Expr {
                kind: ExprKind::Error,
                span,
            },
            1,
        ))
    }

    /// Applies stacked operators whose precedence is at least `min`.
    fn reduce_while(
        &mut self,
        operands: &mut Vec<(Expr, usize)>,
        operators: &mut Vec<(Op, Span)>,
        min: u8,
    ) {
        while let Some(&(op, op_span)) = operators.last() {
            if op.precedence() < min {
                break;
            }
            operators.pop();
            let Some((rhs, rhs_height)) = operands.pop() else {
                break;
            };
            let built = match op {
                Op::Not | Op::Neg => {
                    let span = Span::new(op_span.start, rhs.span.end);
                    let operand = Box::new(rhs);
                    let kind = if op == Op::Not {
                        ExprKind::Not(operand)
                    } else {
                        ExprKind::Neg(operand)
                    };
                    (Expr { kind, span }, rhs_height + 1)
                }
                _ => {
                    let Some((lhs, lhs_height)) = operands.pop() else {
                        operands.push((rhs, rhs_height));
                        break;
                    };
                    let span = lhs.span.to(rhs.span);
                    match (op, lhs) {
                        // `a and b and c` is one node with three operands.
                        (
                            Op::And,
                            Expr {
                                kind: ExprKind::And(mut list),
                                ..
                            },
                        ) => {
                            if list.len() == MAX_CHAIN_TERMS {
                                operands.push(self.chain_too_long(span, op_span));
                                continue;
                            }
                            list.push(rhs);
                            (
                                Expr {
                                    kind: ExprKind::And(list),
                                    span,
                                },
                                lhs_height.max(rhs_height + 1),
                            )
                        }
                        (
                            Op::Or,
                            Expr {
                                kind: ExprKind::Or(mut list),
                                ..
                            },
                        ) => {
                            if list.len() == MAX_CHAIN_TERMS {
                                operands.push(self.chain_too_long(span, op_span));
                                continue;
                            }
                            list.push(rhs);
                            (
                                Expr {
                                    kind: ExprKind::Or(list),
                                    span,
                                },
                                lhs_height.max(rhs_height + 1),
                            )
                        }
                        (op, lhs) => {
                            let (lhs, rhs) = (Box::new(lhs), Box::new(rhs));
                            let kind = match op {
                                Op::And => ExprKind::And(vec![*lhs, *rhs]),
                                Op::Or => ExprKind::Or(vec![*lhs, *rhs]),
                                Op::Compare(op) => ExprKind::Compare { op, lhs, rhs },
                                Op::In { negated } => ExprKind::In {
                                    negated,
                                    element: lhs,
                                    set: rhs,
                                },
                                Op::Arith(op) => ExprKind::Arith {
                                    op,
                                    lhs,
                                    rhs,
                                    rounding: None,
                                },
                                Op::Not | Op::Neg => ExprKind::Error,
                            };
                            (Expr { kind, span }, lhs_height.max(rhs_height) + 1)
                        }
                    }
                }
            };
            operands.push(self.bounded(built, op_span));
        }
    }

    /// Replaces a tree taller than the limit by an error node; `at` is the
    /// operator (or bracket, keyword) that made it taller.
    fn bounded(&mut self, (expr, height): (Expr, usize), at: Span) -> (Expr, usize) {
        if height > MAX_EXPR_DEPTH {
            let span = expr.span;
            (self.too_deep(span, at), 1)
        } else {
            (expr, height)
        }
    }

    /// `x[key]`, `6 months` and `a / b round half_up`.
    fn postfix(
        &mut self,
        operand: Expr,
        height: usize,
        part: P<'_>,
        part_span: Span,
    ) -> (Expr, usize) {
        let span = operand.span.to(part_span);
        let built = match part.as_rule() {
            Rule::index => {
                let mut keys = Vec::new();
                let mut key_height = 1;
                for key in part.into_inner() {
                    let (key, h) = self.expr_with_height(key);
                    key_height = key_height.max(h);
                    keys.push(key);
                }
                let height = height.max(key_height) + 1;
                (
                    Expr {
                        kind: ExprKind::Index {
                            base: Box::new(operand),
                            keys,
                        },
                        span,
                    },
                    height,
                )
            }
            Rule::time_unit => {
                let unit = match part.as_str() {
                    "day" | "days" => TimeUnit::Days,
                    "month" | "months" => TimeUnit::Months,
                    _ => TimeUnit::Years,
                };
                (
                    Expr {
                        kind: ExprKind::Duration {
                            amount: Box::new(operand),
                            unit,
                        },
                        span,
                    },
                    height + 1,
                )
            }
            _ => {
                let mode = part
                    .into_inner()
                    .nth(1)
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_default();
                let rounding = match mode.as_str() {
                    "down" => Rounding::Down,
                    "up" => Rounding::Up,
                    "half_up" => Rounding::HalfUp,
                    _ => Rounding::HalfEven,
                };
                // A product is rounded too (`standard * 30% round half_up`);
                // the checker refuses rounding an exact one.
                match operand.kind {
                    ExprKind::Arith {
                        op: op @ (ArithOp::Div | ArithOp::Mul),
                        lhs,
                        rhs,
                        rounding: None,
                    } => (
                        Expr {
                            kind: ExprKind::Arith {
                                op,
                                lhs,
                                rhs,
                                rounding: Some(rounding),
                            },
                            span,
                        },
                        height,
                    ),
                    kind => {
                        self.errors.push(SyntaxError::Unexpected {
                            expected: words!(
                                "`round`前的除法或乘法（`a / b`、`a * 30%`）",
                                "a division or a product (`a / b`, `a * 30%`) before `round`"
                            ),
                            found: Words::same("`round`"),
                            span: part_span,
                            help: None,
                        });
                        (
                            Expr {
                                kind,
                                span: operand.span,
                            },
                            height,
                        )
                    }
                }
            }
        };
        self.bounded(built, part_span)
    }

    fn atom(&mut self, pair: P<'_>, span: Span) -> (Expr, usize) {
        // The atom's first token (`(`, `{`, `if`, a function's name): where
        // an over-deep atom is reported.
        let text = pair.as_str();
        let first_word = text
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(text.len());
        let leading_length = match first_word {
            0 => text.chars().next().map_or(0, char::len_utf8),
            n => n,
        };
        let leading = Span::new(span.start, span.start + leading_length);
        let error = |span| {
            (
                Expr {
                    kind: ExprKind::Error,
                    span,
                },
                1,
            )
        };
        let built = match pair.as_rule() {
            Rule::paren => match pair.into_inner().next() {
                Some(inner) => {
                    let (inner, height) = self.expr_with_height(inner);
                    (
                        Expr {
                            kind: ExprKind::Paren(Box::new(inner)),
                            span,
                        },
                        height + 1,
                    )
                }
                None => error(span),
            },
            Rule::if_expr => {
                let parts: Vec<P<'_>> = pair
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::expr)
                    .collect();
                let mut built: Vec<(Expr, usize)> = parts
                    .into_iter()
                    .map(|p| self.expr_with_height(p))
                    .collect();
                if built.len() != 3 {
                    return error(span);
                }
                let height = built.iter().map(|b| b.1).max().unwrap_or(0) + 1;
                let otherwise = built.pop().map(|b| b.0);
                let then = built.pop().map(|b| b.0);
                let condition = built.pop().map(|b| b.0);
                match (condition, then, otherwise) {
                    (Some(condition), Some(then), Some(otherwise)) => (
                        Expr {
                            kind: ExprKind::If {
                                condition: Box::new(condition),
                                then: Box::new(then),
                                otherwise: Box::new(otherwise),
                            },
                            span,
                        },
                        height,
                    ),
                    _ => error(span),
                }
            }
            Rule::aggregate => self.aggregate(pair, span),
            Rule::call => {
                let text = pair.as_str();
                let mut parts = pair.into_inner();
                let Some(function) = parts.next() else {
                    return error(span);
                };
                let is_call = text[function.as_str().len()..]
                    .trim_start()
                    .starts_with('(');
                if !is_call {
                    return (
                        Expr {
                            kind: ExprKind::Path(function.as_str().to_string()),
                            span,
                        },
                        1,
                    );
                }
                let function = self.name(function);
                let mut height = 1;
                let mut args = Vec::new();
                for arg in parts {
                    let (arg, arg_height) = self.expr_with_height(arg);
                    height = height.max(arg_height + 1);
                    args.push(arg);
                }
                (
                    Expr {
                        kind: ExprKind::Call { function, args },
                        span,
                    },
                    height,
                )
            }
            Rule::set_lit => {
                let mut height = 1;
                let mut elements = Vec::new();
                for element in pair.into_inner() {
                    let (element, element_height) = self.expr_with_height(element);
                    height = height.max(element_height + 1);
                    elements.push(element);
                }
                (
                    Expr {
                        kind: ExprKind::Set(elements),
                        span,
                    },
                    height,
                )
            }
            Rule::literal => match pair.into_inner().next().and_then(|p| self.literal_kind(p)) {
                Some(literal) => (
                    Expr {
                        kind: ExprKind::Literal(literal),
                        span,
                    },
                    1,
                ),
                None => error(span),
            },
            Rule::path => (
                Expr {
                    kind: ExprKind::Path(pair.as_str().to_string()),
                    span,
                },
                1,
            ),
            Rule::expr => self.expr_with_height(pair),
            _ => error(span),
        };
        self.bounded(built, leading)
    }

    fn aggregate(&mut self, pair: P<'_>, span: Span) -> (Expr, usize) {
        let mut kind = None;
        let mut exprs: Vec<P<'_>> = Vec::new();
        let mut saw_for = false;
        let mut saw_where = false;
        let mut var = None;
        let mut list = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::aggregate_kind => {
                    kind = Some(match part.as_str() {
                        "count" => AggregateKind::Count,
                        "sum" => AggregateKind::Sum,
                        "min" => AggregateKind::Min,
                        "max" => AggregateKind::Max,
                        "any" => AggregateKind::Any,
                        _ => AggregateKind::All,
                    })
                }
                Rule::expr => exprs.push(part),
                Rule::kw_for => saw_for = true,
                Rule::kw_where => saw_where = true,
                Rule::name => var = Some(self.name(part)),
                Rule::path => list = Some(self.name(part)),
                _ => {}
            }
        }
        let mut height = 1;
        let mut exprs = exprs.into_iter();
        let mut next = |builder: &mut Self, wanted: bool| -> Option<Box<Expr>> {
            if !wanted {
                return None;
            }
            let (expr, h) = builder.expr_with_height(exprs.next()?);
            height = height.max(h + 1);
            Some(Box::new(expr))
        };
        let value = next(self, saw_for);
        let filter = next(self, saw_where);
        match (kind, var, list) {
            (Some(kind), Some(var), Some(list)) => (
                Expr {
                    kind: ExprKind::Aggregate {
                        kind,
                        value,
                        var,
                        list,
                        filter,
                    },
                    span,
                },
                height,
            ),
            _ => (
                Expr {
                    kind: ExprKind::Error,
                    span,
                },
                1,
            ),
        }
    }
}

/// An operator waiting on the shunting-yard stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Or,
    And,
    Not,
    Compare(CompareOp),
    In { negated: bool },
    Arith(ArithOp),
    Neg,
}

impl Op {
    /// `round` binds like `*` and `/`, so `a + b / c round up` rounds `b / c`.
    const ROUND: u8 = 6;
    const POSTFIX: u8 = 8;

    fn precedence(self) -> u8 {
        match self {
            Op::Or => 1,
            Op::And => 2,
            Op::Not => 3,
            Op::Compare(_) | Op::In { .. } => 4,
            Op::Arith(ArithOp::Add | ArithOp::Sub) => 5,
            Op::Arith(ArithOp::Mul | ArithOp::Div) => 6,
            Op::Neg => 7,
        }
    }
}

pub(super) fn compare_op(text: &str) -> CompareOp {
    match text {
        "==" => CompareOp::Eq,
        "!=" => CompareOp::Ne,
        "<" => CompareOp::Lt,
        "<=" => CompareOp::Le,
        ">" => CompareOp::Gt,
        _ => CompareOp::Ge,
    }
}
